package load

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"log/slog"
	"os"
	"strings"
	"sync"
)

// Environment variables LoadKey reads.
const (
	KeyEnv     = "SHAREDCARE_PSEUDONYM_KEY"      // the key itself, hex or base64
	KeyFileEnv = "SHAREDCARE_PSEUDONYM_KEY_FILE" // a file holding the key, hex or base64
)

// MinKeyBytes is the shortest pseudonymisation key accepted: 256 bits, the
// output size of HMAC-SHA-256.
const MinKeyBytes = 32

// ErrNoKey means no pseudonymisation key was supplied. There is no default:
// a key anybody could guess would make the pseudonyms reversible by
// hashing every NHS number.
var ErrNoKey = errors.New("no pseudonymisation key: set " + KeyEnv + " or " + KeyFileEnv + " (at least 32 random bytes, hex or base64; e.g. `openssl rand -hex 32`)")

// PseudonymKey is the operator's secret key for keyed pseudonyms. It
// formats, logs and marshals as REDACTED.
type PseudonymKey []byte

// String implements fmt.Stringer.
func (PseudonymKey) String() string { return "REDACTED" }

// GoString implements fmt.GoStringer.
func (PseudonymKey) GoString() string { return "REDACTED" }

// LogValue implements slog.LogValuer.
func (PseudonymKey) LogValue() slog.Value { return slog.StringValue("REDACTED") }

// MarshalText implements encoding.TextMarshaler.
func (PseudonymKey) MarshalText() ([]byte, error) { return []byte("REDACTED"), nil }

// Format implements fmt.Formatter so that %x and %v cannot print the bytes.
func (PseudonymKey) Format(f fmt.State, _ rune) { f.Write([]byte("REDACTED")) }

// LoadKey returns the pseudonymisation key: from the file named by file (a
// configuration setting; empty for none), else from the file named by
// $SHAREDCARE_PSEUDONYM_KEY_FILE, else from $SHAREDCARE_PSEUDONYM_KEY. The
// key is written in hex or base64 (standard or URL alphabet, padded or not)
// and must decode to at least MinKeyBytes bytes. A missing, undecodable or
// short key is an error (ErrNoKey, or one that says which rule it broke);
// errors never include the key.
func LoadKey(file string) (PseudonymKey, error) {
	if file == "" {
		file = os.Getenv(KeyFileEnv)
	}
	var text, from string
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("reading pseudonymisation key file: %w", err)
		}
		text, from = string(b), "key file "+file
	} else {
		text, from = os.Getenv(KeyEnv), "$"+KeyEnv
	}
	text = strings.TrimSpace(text)
	if text == "" {
		if file != "" {
			return nil, fmt.Errorf("pseudonymisation %s is empty", from)
		}
		return nil, ErrNoKey
	}
	key, err := decodeKey(text)
	if err != nil {
		return nil, fmt.Errorf("pseudonymisation key in %s: %w", from, err)
	}
	return key, nil
}

func decodeKey(text string) (PseudonymKey, error) {
	var key []byte
	if b, err := hex.DecodeString(text); err == nil {
		key = b
	} else {
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
			if b, err := enc.DecodeString(text); err == nil {
				key = b
				break
			}
		}
	}
	if key == nil {
		return nil, errors.New("not hex or base64")
	}
	if len(key) < MinKeyBytes {
		return nil, fmt.Errorf("%d bytes, want at least %d", len(key), MinKeyBytes)
	}
	return key, nil
}

// Pseudonym is hex(HMAC-SHA-256(key, input)): the function the analytics
// database uses for every pseudonym, with input "person:<person_id>",
// "nhs:<nhs number>" or "encounter:<source>/<id>".
func Pseudonym(key []byte, input string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(input))
	return hex.EncodeToString(m.Sum(nil))
}

// A pseudonymiser computes Pseudonym under one key, millions of times: the
// keyed HMAC state is made once per goroutine and reset between inputs, and
// an input costs two SHA-256 blocks and one allocation (the result) instead
// of a new HMAC (four blocks) and several buffers. Safe for concurrent use:
// DuckDB calls scalar functions from each of its threads.
type pseudonymiser struct {
	pool sync.Pool // of *pseudonymState
}

type pseudonymState struct {
	mac hash.Hash
	buf []byte   // the input, then the hex digest
	sum [32]byte // the digest
}

func newPseudonymiser(key []byte) *pseudonymiser {
	key = append([]byte(nil), key...)
	return &pseudonymiser{pool: sync.Pool{New: func() any {
		return &pseudonymState{mac: hmac.New(sha256.New, key), buf: make([]byte, 0, 128)}
	}}}
}

// pseudonym returns Pseudonym(key, input).
func (p *pseudonymiser) pseudonym(input string) string {
	st := p.pool.Get().(*pseudonymState)
	st.mac.Reset()
	st.buf = append(st.buf[:0], input...)
	st.mac.Write(st.buf)
	sum := st.mac.Sum(st.sum[:0])
	st.buf = hex.AppendEncode(st.buf[:0], sum)
	out := string(st.buf)
	p.pool.Put(st)
	return out
}
