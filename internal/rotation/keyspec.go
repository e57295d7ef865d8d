package rotation

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
)

// Tags on a secret that shape the keys it rotates to. Absent tags take the
// defaults, which are what the CDK generator creates the secret with.
const (
	TagLength  = "portico:key-length"  // decimal, MinKeyLength..MaxKeyLength
	TagCharset = "portico:key-charset" // one of the Charset constants
)

// Key lengths a spec may ask for. 32 bytes is the least any Portico signing
// key accepts; 4096 is GetRandomPassword's limit.
const (
	MinKeyLength     = 32
	MaxKeyLength     = 4096
	DefaultKeyLength = 64
)

// Charset names the characters a key is drawn from.
type Charset string

const (
	// Alphanumeric is A-Z, a-z and 0-9 (the default).
	Alphanumeric Charset = "alphanumeric"
	// Hex is 0-9 and a-f.
	Hex Charset = "hex"
	// Printable is Alphanumeric plus the 32 ASCII punctuation characters;
	// no space.
	Printable Charset = "printable"
)

const (
	lower       = "abcdefghijklmnopqrstuvwxyz"
	upper       = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	digits      = "0123456789"
	punctuation = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
)

// ErrInvalidKeySpec reports a key tag with a value rotation cannot honour;
// the secret is left alone rather than rotated to a key nobody asked for.
var ErrInvalidKeySpec = errors.New("invalid key spec")

// KeySpec is the shape of a generated key.
type KeySpec struct {
	Length  int
	Charset Charset
}

// DefaultKeySpec is 64 alphanumerics, as the CDK app generates the secret.
var DefaultKeySpec = KeySpec{Length: DefaultKeyLength, Charset: Alphanumeric}

// keySpecFromTags reads TagLength and TagCharset, defaulting each.
func keySpecFromTags(tags []types.Tag) (KeySpec, error) {
	spec := DefaultKeySpec
	for _, t := range tags {
		k, v := aws.ToString(t.Key), strings.TrimSpace(aws.ToString(t.Value))
		switch k {
		case TagLength:
			n, err := strconv.Atoi(v)
			if err != nil || n < MinKeyLength || n > MaxKeyLength {
				return KeySpec{}, fmt.Errorf("%w: tag %s=%q: want an integer from %d to %d", ErrInvalidKeySpec, k, v, MinKeyLength, MaxKeyLength)
			}
			spec.Length = n
		case TagCharset:
			c := Charset(strings.ToLower(v))
			if c.alphabet() == "" {
				return KeySpec{}, fmt.Errorf("%w: tag %s=%q: want %s, %s or %s", ErrInvalidKeySpec, k, v, Alphanumeric, Hex, Printable)
			}
			spec.Charset = c
		}
	}
	return spec, nil
}

// alphabet is every character c allows, or "" for an unknown charset.
func (c Charset) alphabet() string {
	switch c {
	case Alphanumeric:
		return upper + lower + digits
	case Hex:
		return digits + "abcdef"
	case Printable:
		return upper + lower + digits + punctuation
	}
	return ""
}

// passwordInput asks GetRandomPassword for a key of this spec.
func (s KeySpec) passwordInput() *secretsmanager.GetRandomPasswordInput {
	in := &secretsmanager.GetRandomPasswordInput{
		PasswordLength: aws.Int64(int64(s.Length)),
		IncludeSpace:   aws.Bool(false),
	}
	switch s.Charset {
	case Alphanumeric:
		in.ExcludePunctuation = aws.Bool(true)
	case Hex:
		in.ExcludePunctuation = aws.Bool(true)
		in.ExcludeUppercase = aws.Bool(true)
		in.ExcludeCharacters = aws.String(lower[6:]) // g-z
	case Printable:
	}
	return in
}

// check reports whether key has this spec's length and alphabet. The
// error names the problem, never the key.
func (s KeySpec) check(key string) error {
	if len(key) != s.Length {
		return fmt.Errorf("key is %d characters, want %d", len(key), s.Length)
	}
	alphabet := s.Charset.alphabet()
	for i := 0; i < len(key); i++ {
		if strings.IndexByte(alphabet, key[i]) < 0 {
			return fmt.Errorf("key has a character outside %s at offset %d", s.Charset, i)
		}
	}
	return nil
}
