package sealed

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// KeyFile is the key's file name in the data dir.
const KeyFile = "secrets.key"

// ParseKey decodes a key written as base64 (standard or URL alphabet,
// padded or not) of KeySize bytes, as PORTICO_SECRETS_KEY and the key file
// hold it. The error never contains the text.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil && len(b) == KeySize {
			return b, nil
		}
	}
	return nil, fmt.Errorf("sealed: the key must be base64 of %d bytes", KeySize)
}

// LoadKey returns the key: from env when it is not empty (the value of
// PORTICO_SECRETS_KEY), else from dir/KeyFile, which is created with a
// fresh random key (mode 0600, dir 0700) when missing. A key file that
// group or others may read is refused.
func LoadKey(env, dir string) ([]byte, error) {
	if env != "" {
		k, err := ParseKey(env)
		if err != nil {
			return nil, fmt.Errorf("PORTICO_SECRETS_KEY: %w", err)
		}
		return k, nil
	}
	path := filepath.Join(dir, KeyFile)
	switch fi, err := os.Stat(path); {
	case err == nil:
		if fi.Mode().Perm()&0o077 != 0 {
			return nil, fmt.Errorf("sealed: %s has mode %v; want 0600 (chmod 600 %s)", path, fi.Mode().Perm(), path)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("sealed: read key: %w", err)
		}
		k, err := ParseKey(string(b))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return k, nil
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("sealed: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("sealed: %w", err)
	}
	k := make([]byte, KeySize)
	if _, err := rand.Read(k); err != nil {
		return nil, fmt.Errorf("sealed: generate key: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return LoadKey("", dir) // another process created it first
	}
	if err != nil {
		return nil, fmt.Errorf("sealed: create key: %w", err)
	}
	_, werr := f.WriteString(base64.StdEncoding.EncodeToString(k) + "\n")
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return nil, fmt.Errorf("sealed: write key: %w", werr)
	}
	return k, nil
}
