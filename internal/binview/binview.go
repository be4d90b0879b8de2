// Package binview is the request bin's page: plain HTML, CSS and JavaScript
// embedded in the binary, so it needs no build step, CDN or font server.
// The page reads the bin's id from its own URL and polls the JSON API.
package binview

import (
	"embed"
	"io/fs"
	"net/http"
)

//go:embed assets
var files embed.FS

var assets, _ = fs.Sub(files, "assets") // cannot fail: "assets" is embedded above

// AssetPrefix is the path the page loads its script and stylesheet from.
const AssetPrefix = "/ui/bins/"

// securityHeaders lock the page to its own origin. Captured requests are
// written by anyone who knows a bin's address, so the page renders them as
// text only, and the policy keeps any script but ours from running or
// sending data away; no-referrer keeps the bin's address (its credential)
// out of other sites' logs.
func securityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "+
		"img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-cache")
}

// ServePage writes the view page; it is the same for every bin.
func ServePage(w http.ResponseWriter, r *http.Request) {
	securityHeaders(w.Header())
	http.ServeFileFS(w, r, assets, "view.html")
}

// Assets serves the page's script and stylesheet under AssetPrefix.
func Assets() http.Handler {
	files := http.StripPrefix(AssetPrefix, http.FileServerFS(assets))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		securityHeaders(w.Header())
		files.ServeHTTP(w, r)
	})
}
