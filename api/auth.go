package api

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/hookflow/hookflow/internal/config"
	"github.com/hookflow/hookflow/models"
)

// principal is who a request acts as.
type principal struct {
	tenant string // "" for an all-tenant key
	id     string // a fingerprint of the key: recorded as registered_by, never the key
}

const principalKey = "hookflow.principal"

// TenantHeader lets an all-tenant key act for one tenant.
const TenantHeader = "X-Hookflow-Tenant"

// authenticate checks the bearer key. With no keys configured (dev, or
// --insecure-no-auth) every request acts as an all-tenant caller.
func authenticate(keys []config.APIKey) Handler {
	return func(c *gin.Context) error {
		if len(keys) == 0 {
			c.Set(principalKey, principal{id: "anonymous"})
			return nil
		}
		token, ok := strings.CutPrefix(c.GetHeader("Authorization"), "Bearer ")
		k, found := config.Match(keys, strings.TrimSpace(token))
		if !ok || !found {
			c.Header("WWW-Authenticate", `Bearer realm="hookflow"`)
			return errUnauthorized
		}
		sum := sha256.Sum256([]byte(k.Key))
		c.Set(principalKey, principal{tenant: k.Tenant, id: "key:" + hex.EncodeToString(sum[:4])})
		return nil
	}
}

func who(c *gin.Context) principal {
	p, _ := c.Get(principalKey)
	return p.(principal)
}

// Caller names who a request acts as, for registered_by and updated_by: a
// fingerprint of its key, never the key.
func Caller(c *gin.Context) string { return who(c).id }

// Tenant returns the tenant a request acts for: a scoped key's own tenant;
// for an all-tenant key the one named in the body, the X-Hookflow-Tenant
// header or ?tenant=, else "default". A scoped key naming another tenant is refused.
func Tenant(c *gin.Context, named string) (string, error) {
	if named == "" {
		named = c.GetHeader(TenantHeader)
	}
	if named == "" {
		named = c.Query("tenant")
	}
	p := who(c)
	switch {
	case p.tenant != "" && named != "" && named != p.tenant:
		return "", NewError(http.StatusForbidden, "forbidden", "this API key acts for tenant "+p.tenant+" only")
	case p.tenant != "":
		return p.tenant, nil
	case named == "":
		return models.DefaultTenant, nil
	case !models.ValidTenant(named):
		return "", InvalidField("tenant", "must be 1 to 64 letters, digits, _ . -")
	}
	return named, nil
}
