// Package seal encrypts secrets at rest: AES-256-GCM (the standard
// library's) under a keyring from HOOKFLOW_ENCRYPTION_KEYS. The newest key
// seals; every key opens, so keys rotate without downtime. Each sealed value
// names the key that sealed it and is bound to where it is stored (the
// additional data), so a value copied into another row does not open.
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Prefix starts every sealed value: "enc:v1:<key id>:<base64 nonce+ciphertext>".
// A value without it was stored before encryption at rest.
const Prefix = "enc:v1:"

// KeySize is the length of a key: AES-256.
const KeySize = 32

// idLen is the length of a key id in hex.
const idLen = 8

// ErrUnknownKey means a value was sealed with a key the keyring does not hold.
var ErrUnknownKey = errors.New("sealed with a key that HOOKFLOW_ENCRYPTION_KEYS does not hold")

// ErrCorrupt means a sealed value does not open: altered, truncated, or
// copied from another row.
var ErrCorrupt = errors.New("sealed value does not open (altered, or copied from elsewhere)")

type key struct {
	id   string
	aead cipher.AEAD
}

// Keyring holds the encryption keys, newest first. It is safe for concurrent use.
type Keyring struct {
	keys []key
}

// NewKeyring returns a keyring of raw 32-byte keys, newest first.
func NewKeyring(raw ...[]byte) (*Keyring, error) {
	if len(raw) == 0 {
		return nil, errors.New("no encryption key")
	}
	k := &Keyring{}
	for i, r := range raw {
		if len(r) != KeySize {
			return nil, fmt.Errorf("key %d is %d bytes, want %d", i+1, len(r), KeySize)
		}
		block, err := aes.NewCipher(r)
		if err != nil {
			return nil, fmt.Errorf("key %d: %w", i+1, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("key %d: %w", i+1, err)
		}
		id := keyID(r)
		for j, seen := range k.keys {
			if seen.id == id {
				return nil, fmt.Errorf("key %d repeats key %d", i+1, j+1)
			}
		}
		k.keys = append(k.keys, key{id: id, aead: aead})
	}
	return k, nil
}

// keyID names a key without revealing it: the first 4 bytes of a SHA-256
// over a label and the key, in hex.
func keyID(raw []byte) string {
	sum := sha256.Sum256(append([]byte("hookflow encryption key id\x00"), raw...))
	return hex.EncodeToString(sum[:idLen/2])
}

// ParseKeys reads HOOKFLOW_ENCRYPTION_KEYS: a comma list of base64 keys of
// 32 bytes, newest first. Errors never repeat a key.
func ParseKeys(s string) (*Keyring, error) {
	var raw [][]byte
	for i, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		b, err := decodeKey(item)
		if err != nil {
			return nil, fmt.Errorf("key %d: must be %d random bytes in base64 (hookflow secrets generate-key makes one)", i+1, KeySize)
		}
		raw = append(raw, b)
	}
	return NewKeyring(raw...)
}

func decodeKey(s string) ([]byte, error) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil && len(b) == KeySize {
			return b, nil
		}
	}
	return nil, errors.New("not a base64 key")
}

// NewKey returns a new random key in base64, as HOOKFLOW_ENCRYPTION_KEYS takes it.
func NewKey() string {
	b := make([]byte, KeySize)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return base64.StdEncoding.EncodeToString(b)
}

// LoadOrCreateKeyFile returns the key kept in path, creating the file (mode
// 0600) with a new key when it does not exist: hookflow dev's key, kept in
// its data dir beside the database it protects.
func LoadOrCreateKeyFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		k := NewKey()
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return "", fmt.Errorf("create %s: %w", filepath.Dir(path), err)
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return "", fmt.Errorf("create key file: %w", err)
		}
		_, err = f.WriteString(k + "\n")
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return "", fmt.Errorf("write key file %s: %w", path, err)
		}
		return k, nil
	}
	if err != nil {
		return "", fmt.Errorf("read key file: %w", err)
	}
	k := strings.TrimSpace(string(b))
	if _, err := decodeKey(k); err != nil {
		return "", fmt.Errorf("key file %s does not hold a base64 key of %d bytes", path, KeySize)
	}
	return k, nil
}

// CurrentID is the id of the newest key, the one that seals.
func (k *Keyring) CurrentID() string { return k.keys[0].id }

// IDs lists the ids of every key, newest first.
func (k *Keyring) IDs() []string {
	ids := make([]string, len(k.keys))
	for i, key := range k.keys {
		ids[i] = key.id
	}
	return ids
}

// Has reports whether the keyring holds the key with this id.
func (k *Keyring) Has(id string) bool { return k.find(id) != nil }

func (k *Keyring) find(id string) *key {
	for i := range k.keys {
		if k.keys[i].id == id {
			return &k.keys[i]
		}
	}
	return nil
}

// Merge returns a keyring holding k's keys and then other's that k lacks:
// the order in which they are tried, newest first.
func (k *Keyring) Merge(other *Keyring) *Keyring {
	out := &Keyring{keys: append([]key(nil), k.keys...)}
	for _, o := range other.keys {
		if !out.Has(o.id) {
			out.keys = append(out.keys, o)
		}
	}
	return out
}

// Seal encrypts plaintext with the newest key, bound to aad (where the value
// is stored).
func (k *Keyring) Seal(plaintext, aad string) string {
	cur := k.keys[0]
	nonce := make([]byte, cur.aead.NonceSize(), cur.aead.NonceSize()+len(plaintext)+cur.aead.Overhead())
	_, _ = rand.Read(nonce) // crypto/rand.Read never fails
	out := cur.aead.Seal(nonce, nonce, []byte(plaintext), []byte(aad))
	return Prefix + cur.id + ":" + base64.RawURLEncoding.EncodeToString(out)
}

// Sealed reports whether v is a sealed value (of any key).
func Sealed(v string) bool { return strings.HasPrefix(v, Prefix) }

// KeyIDOf returns the id of the key that sealed v; ok is false when v is not sealed.
func KeyIDOf(v string) (id string, ok bool) {
	rest, ok := strings.CutPrefix(v, Prefix)
	if !ok || len(rest) < idLen+1 || rest[idLen] != ':' {
		return "", false
	}
	return rest[:idLen], true
}

// Open decrypts a value Seal made with any key of the ring, for the same aad.
func (k *Keyring) Open(sealed, aad string) (string, error) {
	id, ok := KeyIDOf(sealed)
	if !ok {
		return "", ErrCorrupt
	}
	key := k.find(id)
	if key == nil {
		return "", fmt.Errorf("key %s: %w", id, ErrUnknownKey)
	}
	b, err := base64.RawURLEncoding.DecodeString(sealed[len(Prefix)+idLen+1:])
	if err != nil || len(b) < key.aead.NonceSize() {
		return "", ErrCorrupt
	}
	n := key.aead.NonceSize()
	plain, err := key.aead.Open(nil, b[:n], b[n:], []byte(aad))
	if err != nil {
		return "", ErrCorrupt
	}
	return string(plain), nil
}
