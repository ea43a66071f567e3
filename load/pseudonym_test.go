package load

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func TestLoadKey(t *testing.T) {
	raw := []byte("0123456789abcdef0123456789abcdef")
	dir := t.TempDir()
	file := filepath.Join(dir, "key")
	os.WriteFile(file, []byte(base64.StdEncoding.EncodeToString(raw)+"\n"), 0o600)
	for _, c := range []struct {
		name, env, fileEnv, file string
		want                     []byte
		err                      error
	}{
		{name: "hex in env", env: hex.EncodeToString(raw), want: raw},
		{name: "base64 in env", env: base64.RawURLEncoding.EncodeToString(raw), want: raw},
		{name: "file from config", file: file, env: "ignored", want: raw},
		{name: "file from env", fileEnv: file, want: raw},
		{name: "missing", err: ErrNoKey},
		{name: "short", env: hex.EncodeToString(raw[:16])},
		{name: "not encoded", env: "this is not a key at all, is it?!"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv(KeyEnv, c.env)
			t.Setenv(KeyFileEnv, c.fileEnv)
			k, err := LoadKey(c.file)
			if c.want == nil {
				if err == nil {
					t.Fatal("accepted")
				}
				if c.err != nil && !errors.Is(err, c.err) {
					t.Errorf("error %v, want %v", err, c.err)
				}
				if c.env != "" && strings.Contains(err.Error(), c.env) {
					t.Error("the error shows the key")
				}
				return
			}
			if err != nil || string(k) != string(c.want) {
				t.Fatalf("got %d bytes, %v", len(k), err)
			}
		})
	}
}

func TestPseudonymKeyIsRedacted(t *testing.T) {
	k := PseudonymKey("0123456789abcdef0123456789abcdef")
	var b strings.Builder
	slog.New(slog.NewTextHandler(&b, nil)).Info("x", "key", k)
	for _, s := range []string{fmt.Sprint(k), fmt.Sprintf("%v %+v %#v %s %x %q", k, k, k, k, k, k), b.String()} {
		if strings.Contains(s, "0123") || strings.Contains(s, "3031") {
			t.Errorf("key shown: %s", s)
		}
	}
}

func TestPseudonymIsHMACSHA256(t *testing.T) {
	// RFC 4231 test case 2.
	if got := Pseudonym([]byte("Jefe"), "what do ya want for nothing?"); got != "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843" {
		t.Errorf("got %s", got)
	}
}

func TestPseudonymiserAgreesWithPseudonym(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	p := newPseudonymiser(key)
	inputs := []string{"", "person:1", "nhs:9434765919", "encounter:acute/V1", strings.Repeat("long input ", 40), "émoji 🙂"}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 200 {
				for _, in := range inputs {
					if got, want := p.pseudonym(in), Pseudonym(key, in); got != want {
						t.Errorf("pseudonym(%q) = %s, want %s", in, got, want)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	if p.pseudonym("person:1") == newPseudonymiser([]byte("another key, another key, 32 byt")).pseudonym("person:1") {
		t.Error("two keys gave the same pseudonym")
	}
}
