// Package bins serves request bins (docs/spec.md §10, docs/bins.md). /v1/bins
// manages them with an API key; /bins/{id} captures, views and lists
// without one, because the random id is itself the credential. Reading a
// bin never reveals a hook's secret: signature verdicts need /v1 and a key
// of the hook's tenant.
package bins

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"github.com/hookflow/hookflow/api"
	"github.com/hookflow/hookflow/internal/binview"
	"github.com/hookflow/hookflow/internal/payload"
	"github.com/hookflow/hookflow/internal/store"
	"github.com/hookflow/hookflow/models"
)

// Store is what request bins need of the data layer; *store.Store has it.
type Store interface {
	Hook(ctx context.Context, tenant string, id int64) (*models.Hook, error)
	CreateBin(ctx context.Context, b *models.Bin) error
	Bin(ctx context.Context, tenant, id string, now time.Time) (*models.Bin, error)
	DeleteBin(ctx context.Context, tenant, id string) error
	PurgeBins(ctx context.Context, now time.Time) (int64, error)
	CaptureRequest(ctx context.Context, r *models.BinRequest, keep int) error
	BinRequests(ctx context.Context, q store.BinRequestQuery) ([]models.BinRequest, error)
	BinRequestSizes(ctx context.Context, q store.BinRequestQuery) ([]store.BinRequestSize, error)
	CountBinRequests(ctx context.Context, binID string) (int64, error)
}

// Mount serves request bins on s over st: managed with a key under /v1;
// below /bins/{id} no key, as the random id is the credential.
func Mount(s *api.Server, st Store) {
	b := &bins{s: s, store: st}
	v1 := s.Keyed("/v1")
	v1.POST("/bins", b.create)
	v1.GET("/bins/:id", b.get)
	v1.DELETE("/bins/:id", b.delete)
	v1.GET("/bins/:id/requests", b.listRequests)
	open := s.Open("")
	open.Any("/bins/:id", b.capture)
	open.Any("/bins/:id/*rest", b.subpath) // the page, its JSON, or a capture
	open.GET(binview.AssetPrefix+"*file", api.Wrap(binview.Assets()))
}

type bins struct {
	s     *api.Server
	store Store
}

type binResponse struct {
	ID           string    `json:"id"`
	URL          string    `json:"url"`
	ViewURL      string    `json:"view_url"`
	Tenant       string    `json:"tenant,omitempty"` // not on the keyless URLs: the id grants a bin's requests, nothing more
	CreatedAt    time.Time `json:"created_at"`
	ExpiresAt    time.Time `json:"expires_at"`
	RequestCount int64     `json:"request_count"`
}

func newBinResponse(c *gin.Context, b *models.Bin, count int64) binResponse {
	u := baseURL(c) + "/bins/" + b.ID
	return binResponse{ID: b.ID, URL: u, ViewURL: u + "/view", Tenant: b.Tenant, CreatedAt: b.CreatedAt,
		ExpiresAt: b.ExpiresAt, RequestCount: count}
}

// baseURL is the scheme and host the caller reached us at, so a bin's URL
// works from where its creator stands. A proxy's X-Forwarded-Proto and
// X-Forwarded-Host are believed: the URL is only shown back to that caller.
func baseURL(c *gin.Context) string {
	scheme := "http"
	if c.Request.TLS != nil {
		scheme = "https"
	}
	if p := c.GetHeader("X-Forwarded-Proto"); p == "http" || p == "https" {
		scheme = p
	}
	host := c.Request.Host
	if h, _, _ := strings.Cut(c.GetHeader("X-Forwarded-Host"), ","); strings.TrimSpace(h) != "" {
		host = strings.TrimSpace(h)
	}
	return scheme + "://" + host
}

type binRequestResponse struct {
	ID         int64               `json:"id"`
	ReceivedAt time.Time           `json:"received_at"`
	Method     string              `json:"method"`
	Path       string              `json:"path"`
	Query      string              `json:"query"`
	Headers    map[string][]string `json:"headers"`
	Body       string              `json:"body"`
	BodyBase64 string              `json:"body_base64,omitempty"` // instead of body when it is not UTF-8 text
	Truncated  bool                `json:"truncated"`
	RemoteAddr string              `json:"remote_addr"`
	Signature  *signatureResponse  `json:"signature,omitempty"`
}

type signatureResponse struct {
	Checked bool   `json:"checked"`
	Valid   bool   `json:"valid"`
	Scheme  string `json:"scheme,omitempty"`
	Detail  string `json:"detail"`
}

// newBinRequestResponse shows r and, when hook is given, whether r's
// signature verifies with the secrets hook signed with when r arrived.
func newBinRequestResponse(r *models.BinRequest, hook *models.Hook) binRequestResponse {
	out := binRequestResponse{ID: r.ID, ReceivedAt: r.ReceivedAt, Method: r.Method, Path: r.Path, Query: r.Query,
		Headers: r.Headers.V, Truncated: r.Truncated, RemoteAddr: r.RemoteAddr}
	if utf8.Valid(r.Body) {
		out.Body = string(r.Body)
	} else {
		out.BodyBase64 = base64.StdEncoding.EncodeToString(r.Body)
	}
	if hook != nil {
		v := payload.Verify(payload.VerifyInput{Format: hook.Format, Header: r.Headers.V, Body: r.Body, Truncated: r.Truncated,
			ReceivedAt: r.ReceivedAt, Secrets: hook.SigningSecrets(r.ReceivedAt)})
		out.Signature = &signatureResponse{Checked: v.Checked, Valid: v.Valid, Scheme: v.Scheme, Detail: v.Detail}
	}
	return out
}

// create makes a bin for the caller's tenant. It also purges expired bins:
// bins are created far less often than they are written to, so the cleanup
// costs nothing on the capture path and needs no background job.
func (b *bins) create(c *gin.Context) error {
	var req struct {
		Tenant string `json:"tenant"`
	}
	if err := api.DecodeOptionalJSON(c, &req); err != nil { // the body is optional
		return err
	}
	t, err := api.Tenant(c, req.Tenant)
	if err != nil {
		return err
	}
	ctx, now := c.Request.Context(), b.s.Now()
	n, err := b.store.PurgeBins(ctx, now)
	if err != nil {
		return err
	}
	if n > 0 {
		b.s.Log().Info("purged expired request bins", "count", n)
	}
	bin := &models.Bin{Tenant: t, CreatedAt: now, ExpiresAt: now.Add(models.BinTTL)}
	if err := b.store.CreateBin(ctx, bin); err != nil {
		return err
	}
	c.Header("Location", "/v1/bins/"+bin.ID)
	c.JSON(http.StatusCreated, newBinResponse(c, bin, 0))
	return nil
}

// pathBin loads the live bin of the path: of the caller's tenant when keyed,
// else whatever its tenant (the keyless URLs, where the id is the credential).
func (b *bins) pathBin(c *gin.Context, keyed bool) (*models.Bin, error) {
	t := ""
	if keyed {
		var err error
		if t, err = api.Tenant(c, ""); err != nil {
			return nil, err
		}
	}
	if !textual(c.Param("id")) { // names no bin, and PostgreSQL would refuse the query (a 500)
		return nil, api.ErrNotFound
	}
	return b.store.Bin(c.Request.Context(), t, c.Param("id"), b.s.Now())
}

// textual reports whether s can be stored or compared as text: PostgreSQL
// refuses NUL and invalid UTF-8, which a URL can carry (%00, %ff).
func textual(s string) bool { return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 }

// asText returns s with the bytes text cannot hold (NUL, invalid UTF-8)
// percent-encoded, as the URL that brought them wrote them.
func asText(s string) string {
	if textual(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == 0 || r == utf8.RuneError && n == 1 {
			fmt.Fprintf(&b, "%%%02X", s[i])
		} else {
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// meta loads the bin of the path (as pathBin does) and shows it with the
// number of requests it holds.
func (b *bins) meta(c *gin.Context, keyed bool) (*models.Bin, binResponse, error) {
	bin, err := b.pathBin(c, keyed)
	if err != nil {
		return nil, binResponse{}, err
	}
	n, err := b.store.CountBinRequests(c.Request.Context(), bin.ID)
	return bin, newBinResponse(c, bin, n), err
}

func (b *bins) get(c *gin.Context) error {
	_, out, err := b.meta(c, true)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, out)
	return nil
}

func (b *bins) delete(c *gin.Context) error {
	t, err := api.Tenant(c, "")
	if err != nil {
		return err
	}
	if !textual(c.Param("id")) {
		return api.ErrNotFound
	}
	if err := b.store.DeleteBin(c.Request.Context(), t, c.Param("id")); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}

// listRequests lists a bin's requests; ?hook= checks each signature with
// that hook's secrets, and the hook must be of the caller's tenant too.
func (b *bins) listRequests(c *gin.Context) error {
	bin, err := b.pathBin(c, true)
	if err != nil {
		return err
	}
	var hook *models.Hook
	if v := c.Query("hook"); v != "" {
		id, perr := strconv.ParseInt(v, 10, 64)
		if perr != nil || id < 1 {
			return api.InvalidField("hook", "must be a hook id")
		}
		if hook, err = b.store.Hook(c.Request.Context(), bin.Tenant, id); err != nil {
			return err
		}
	}
	page, err := b.requests(c, bin, hook)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, page)
	return nil
}

// requests reads a page of bin's requests, newest first: ?limit=, ?cursor=
// for older pages and ?after= (a request id) for only newer ones, which is
// how the view page polls.
func (b *bins) requests(c *gin.Context, bin *models.Bin, hook *models.Hook) (api.List[binRequestResponse], error) {
	p, err := api.Page(c)
	if err != nil {
		return api.List[binRequestResponse]{}, err
	}
	var after int64
	if v := c.Query("after"); v != "" {
		if after, err = strconv.ParseInt(v, 10, 64); err != nil || after < 0 {
			return api.List[binRequestResponse]{}, api.InvalidField("after", "must be a request id")
		}
	}
	q := store.BinRequestQuery{BinID: bin.ID, BeforeID: p.Cursor, AfterID: after, Limit: p.Limit + 1}
	sizes, err := b.store.BinRequestSizes(c.Request.Context(), q)
	if err != nil {
		return api.List[binRequestResponse]{}, err
	}
	// A page stops at maxBinPageBytes stored bytes (one request at least),
	// whatever ?limit= says: 500 captures of 256 KiB would be a 128 MiB answer.
	n, total := 0, int64(0)
	for n < min(len(sizes), p.Limit) && (n == 0 || total+sizes[n].Size <= maxBinPageBytes) {
		total += sizes[n].Size
		n++
	}
	if n == 0 {
		return api.List[binRequestResponse]{Data: []binRequestResponse{}}, nil
	}
	// Exactly the rows sized: a request captured meanwhile waits for the next poll.
	q.Limit, q.BeforeID, q.AfterID = n, sizes[0].ID+1, sizes[n-1].ID-1
	rs, err := b.store.BinRequests(c.Request.Context(), q)
	if err != nil {
		return api.List[binRequestResponse]{}, err
	}
	out := api.List[binRequestResponse]{Data: make([]binRequestResponse, len(rs))}
	for i := range rs {
		out.Data[i] = newBinRequestResponse(&rs[i], hook)
	}
	if len(rs) > 0 && n < len(sizes) {
		out.NextCursor = strconv.FormatInt(rs[len(rs)-1].ID, 10)
	}
	return out, nil
}

// maxBinPageBytes bounds the stored bytes of one page of a bin's requests;
// JSON escaping can make its answer up to six times as large.
const maxBinPageBytes = 1 << 20

// capture records whatever reached /bins/{id}, any method and any subpath,
// and answers 200 so senders count it delivered.
func (b *bins) capture(c *gin.Context) error {
	bin, err := b.pathBin(c, false)
	if err != nil {
		return err
	}
	header := c.Request.Header.Clone()
	header.Set("Host", c.Request.Host) // Go moves Host out of the header map; a reader wants it
	r := &models.BinRequest{
		BinID: bin.ID, ReceivedAt: b.s.Now(), Method: c.Request.Method, RemoteAddr: c.RemoteIP(),
		Path: asText(c.Request.URL.Path), Query: asText(c.Request.URL.RawQuery),
		Headers: models.JSON[map[string][]string]{V: header},
	}
	r.Truncated = fitMeta(r)
	// The body gets what the headers, path and query left of the capture's bytes.
	room := models.BinMaxRequest - r.Size()
	body, err := io.ReadAll(io.LimitReader(c.Request.Body, int64(room)+1))
	if err != nil {
		return api.NewError(http.StatusBadRequest, "bad_request", "could not read the request body")
	}
	if len(body) > room {
		body, r.Truncated = body[:room], true
	}
	r.Body = body
	if err := b.store.CaptureRequest(c.Request.Context(), r, models.BinMaxRequests); err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"ok": true})
	return nil
}

// fitMeta cuts a capture's path, query and headers to models.BinMaxMeta
// bytes in all (path and query to a quarter each, then whole headers in name
// order until the rest is used) and reports whether it cut anything.
func fitMeta(r *models.BinRequest) bool {
	cut := false
	for _, s := range []*string{&r.Path, &r.Query} {
		if len(*s) > models.BinMaxMeta/4 {
			*s, cut = strings.ToValidUTF8((*s)[:models.BinMaxMeta/4], ""), true
		}
	}
	room := models.BinMaxMeta - len(r.Path) - len(r.Query)
	kept := http.Header{}
	for _, k := range slices.Sorted(maps.Keys(r.Headers.V)) {
		for _, v := range r.Headers.V[k] {
			if n := len(k) + len(v) + 4; n <= room {
				kept[k], room = append(kept[k], v), room-n
			} else {
				cut = true
			}
		}
	}
	r.Headers.V = kept
	return cut
}

// subpath serves a bin's page and its read-only JSON on GET, and captures
// every other request below the bin.
func (b *bins) subpath(c *gin.Context) error {
	if c.Request.Method == http.MethodGet {
		switch c.Param("rest") {
		case "/view":
			return b.view(c)
		case "/requests.json":
			return b.publicRequests(c)
		}
	}
	return b.capture(c)
}

// view serves the page; it loads the requests itself (binview).
func (b *bins) view(c *gin.Context) error {
	if _, err := b.pathBin(c, false); err != nil {
		return err
	}
	binview.ServePage(c.Writer, c.Request)
	return nil
}

// publicRequests is what the page reads without a key: the bin and its
// requests, never a signature verdict (that needs a hook's secret, so /v1).
func (b *bins) publicRequests(c *gin.Context) error {
	bin, meta, err := b.meta(c, false)
	if err != nil {
		return err
	}
	page, err := b.requests(c, bin, nil)
	if err != nil {
		return err
	}
	meta.Tenant = ""
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, struct {
		Bin binResponse `json:"bin"`
		api.List[binRequestResponse]
	}{meta, page})
	return nil
}
