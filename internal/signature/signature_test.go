package signature

import "testing"

// The vectors were computed independently with Python's hmac module.
func TestVendorSignatures(t *testing.T) {
	tests := []struct {
		name, got, want string
	}{
		{"SuperOffice keys with the whole whsec_ secret, base64",
			SuperOffice("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", []byte(`{"Event":"contact.changed"}`)),
			"Xiw735k+IqFrgt2DebFFodRv1rscXP3TW81FtP8Wwew="},
		{"Pipeliner keys with the signature UUID, hex",
			Pipeliner("0f8fad5b-d9cb-469f-a165-70867728950e", []byte(`{"event":"Account.Create"}`)),
			"e00d8e18fb3bcb9fbd17bd46f8f13094d14ccd3c5c0066e2b80e4778189c6f42"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %s; want %s", tt.name, tt.got, tt.want)
		}
	}
}
