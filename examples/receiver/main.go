// Command receiver is a webhook receiver for trying hookflow: it prints every
// delivery and checks its Standard Webhooks signature with the reference
// library, the way your own receiver should.
//
//	go run ./examples/receiver -addr 127.0.0.1:9000 -secret whsec_...
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:9000", "listen address")
	secret := flag.String("secret", "", "the hook's secret (whsec_…) to verify signatures")
	flag.Parse()
	var wh *standardwebhooks.Webhook
	if *secret != "" {
		var err error
		if wh, err = standardwebhooks.NewWebhook(*secret); err != nil {
			log.Fatalf("secret: %v", err)
		}
	}
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 10<<20))
		if err != nil {
			http.Error(w, "read body", http.StatusBadRequest)
			return
		}
		verdict := "not checked (no -secret)"
		if wh != nil {
			if err := wh.Verify(body, r.Header); err != nil {
				verdict = "INVALID: " + err.Error()
				http.Error(w, "bad signature", http.StatusUnauthorized)
			} else {
				verdict = "valid"
			}
		}
		fmt.Printf("%s %s  webhook-id=%s  signature %s\n%s\n\n", r.Method, r.URL.Path, r.Header.Get("Webhook-Id"), verdict, body)
	})
	log.Printf("receiver listening on http://%s", *addr)
	log.Fatal(http.ListenAndServe(*addr, nil))
}
