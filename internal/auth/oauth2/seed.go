package oauth2

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hkdf"
	"crypto/sha256"
	"errors"
	"fmt"
	"math/big"
	"sync"
	"time"
)

// DeriveInfo is the HKDF info of the access-token key derivation; a new
// derivation gets a new version.
const DeriveInfo = "portico/oauth2/es256/v1"

// MinSeedLength is the least seed DeriveKey accepts: 32 bytes, as every
// platform key (the key-rotation function generates 64).
const MinSeedLength = 32

// ErrShortSeed reports a seed under MinSeedLength bytes.
var ErrShortSeed = errors.New("oauth2: seed shorter than 32 bytes")

// DeriveKey derives the ES256 signing key from a seed, the same on every
// instance: for counter c = 0, 1, ... the scalar is
// HKDF-SHA256(ikm seed, no salt, info DeriveInfo || byte(c), 32 bytes),
// the first one in [1, n-1] for n the P-256 order (docs/architecture.md,
// "Caller authentication").
func DeriveKey(seed []byte) (*ecdsa.PrivateKey, error) {
	if len(seed) < MinSeedLength {
		return nil, ErrShortSeed
	}
	n := elliptic.P256().Params().N
	for c := range 256 {
		scalar, err := hkdf.Key(sha256.New, seed, nil, DeriveInfo+string([]byte{byte(c)}), 32)
		if err != nil {
			return nil, fmt.Errorf("oauth2: derive key: %w", err)
		}
		if d := new(big.Int).SetBytes(scalar); d.Sign() == 0 || d.Cmp(n) >= 0 {
			continue // probability about 2^-32 per try
		}
		return ecdsa.ParseRawPrivateKey(elliptic.P256(), scalar)
	}
	return nil, errors.New("oauth2: derive key: no scalar in range")
}

// SeedFetch reads the seed in force and the one before it ("" when there
// is none yet); in aws mode the AWSCURRENT and AWSPREVIOUS versions of a
// Secrets Manager secret.
type SeedFetch func(ctx context.Context) (current, previous string, err error)

// SeedConfig configures SeedKeys. Fetch is required.
type SeedConfig struct {
	Fetch SeedFetch
	// Refresh bounds how stale the keys may be: a rotation is seen at most
	// this long after it finished; default 5 minutes.
	Refresh time.Duration
	// MinReload is the least time between fetches asked for by a token
	// naming an unknown key, and between retries after a failed fetch;
	// default 30 seconds.
	MinReload time.Duration
	// Now is the clock; default time.Now.
	Now func() time.Time
	// OnError, when set, is told of a failed refresh; the keys held are
	// kept meanwhile.
	OnError func(error)
}

// SeedKeys is a KeySource deriving the keys from seeds fetched at most
// every Refresh. Safe for concurrent use.
type SeedKeys struct {
	cfg SeedConfig

	mu      sync.Mutex
	keys    KeySet
	seeds   [2]string
	loaded  time.Time // last successful fetch
	attempt time.Time // last fetch, successful or not
}

// NewSeedKeys fetches the seeds once, failing fast, and returns the source.
func NewSeedKeys(ctx context.Context, cfg SeedConfig) (*SeedKeys, error) {
	if cfg.Fetch == nil {
		return nil, errors.New("oauth2: SeedConfig.Fetch is required")
	}
	if cfg.Refresh <= 0 {
		cfg.Refresh = 5 * time.Minute
	}
	if cfg.MinReload <= 0 {
		cfg.MinReload = 30 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &SeedKeys{cfg: cfg}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.fetch(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// Keys returns the keys, fetching the seeds again when the last fetch is
// older than Refresh.
func (s *SeedKeys) Keys(ctx context.Context) (KeySet, error) {
	return s.get(ctx, s.cfg.Refresh)
}

// Reload fetches the seeds again unless the last fetch was under MinReload
// ago.
func (s *SeedKeys) Reload(ctx context.Context) (KeySet, error) {
	return s.get(ctx, s.cfg.MinReload)
}

func (s *SeedKeys) get(ctx context.Context, maxAge time.Duration) (KeySet, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.cfg.Now()
	if now.Sub(s.loaded) >= maxAge && now.Sub(s.attempt) >= s.cfg.MinReload {
		if err := s.fetch(ctx); err != nil && s.cfg.OnError != nil {
			s.cfg.OnError(err)
		}
	}
	return s.keys, nil
}

// fetch reads and derives the keys; s.mu is held. A seed that did not
// change keeps its key (the same pointer), so Server reuses its signer.
func (s *SeedKeys) fetch(ctx context.Context) error {
	s.attempt = s.cfg.Now()
	cur, prev, err := s.cfg.Fetch(ctx)
	if err != nil {
		return fmt.Errorf("oauth2: fetch seed: %w", err)
	}
	keys := KeySet{}
	derive := func(seed string) (*ecdsa.PrivateKey, error) {
		for j, old := range []*ecdsa.PrivateKey{s.keys.Current, s.keys.Previous} {
			if old != nil && s.seeds[j] == seed {
				return old, nil
			}
		}
		return DeriveKey([]byte(seed))
	}
	if keys.Current, err = derive(cur); err != nil {
		return fmt.Errorf("oauth2: current seed: %w", err)
	}
	if prev != "" && prev != cur {
		if keys.Previous, err = derive(prev); err != nil {
			return fmt.Errorf("oauth2: previous seed: %w", err)
		}
	} else {
		prev = ""
	}
	s.keys, s.seeds, s.loaded = keys, [2]string{cur, prev}, s.attempt
	return nil
}

var _ KeySource = (*SeedKeys)(nil)
