package models

// DefaultTenant owns hooks and events when no tenant is named.
const DefaultTenant = "default"

// ValidTenant reports whether t is a tenant name: 1 to 64 letters, digits, _ . -.
func ValidTenant(t string) bool {
	if t == "" || len(t) > 64 {
		return false
	}
	for _, r := range t {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '.' || r == '-') {
			return false
		}
	}
	return true
}
