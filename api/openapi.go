package api

import (
	_ "embed"
	"net/http"
	"sync"

	"github.com/gin-gonic/gin"
	"sigs.k8s.io/yaml"
)

// openapiYAML is the API's OpenAPI 3 document, written by hand. Tests check
// every answer of the api and end-to-end suites against it, and that every
// route is in it: a new endpoint must be documented there.
//
//go:embed openapi.yaml
var openapiYAML []byte

// openapiJSON is the document as served, converted once.
var openapiJSON = sync.OnceValues(func() ([]byte, error) { return yaml.YAMLToJSON(openapiYAML) })

// openapi answers GET /openapi.json.
func (s *Server) openapi(c *gin.Context) error {
	b, err := openapiJSON()
	if err != nil {
		return err
	}
	c.Data(http.StatusOK, "application/json", b)
	return nil
}
