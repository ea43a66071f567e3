package extract_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sharedcare/sharedcare/extract"
)

// growingSource reads its file to the end, then (as another writer would)
// appends to it before closing it.
type growingSource struct{ root string }

func (s growingSource) Extract(ctx context.Context, w *extract.Writer) error {
	in, err := w.Open(s.root, "f.txt")
	if err != nil {
		return err
	}
	if _, err := io.ReadAll(in); err != nil {
		return err
	}
	f, err := os.OpenFile(filepath.Join(s.root, "f.txt"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	f.WriteString("appended after the reader reached the end\n")
	f.Close()
	return in.Close()
}

// TestInputHashCoversOnlyWhatWasRead is the regression test for a file that
// grows between the connector reaching its end and closing it: the recorded
// size and hash must be those of the bytes read, or the next run takes the
// grown file for one already landed and never lands the appended records.
func TestInputHashCoversOnlyWhatWasRead(t *testing.T) {
	root := t.TempDir()
	orig := "line one\nline two\n"
	if err := os.WriteFile(filepath.Join(root, "f.txt"), []byte(orig), 0o600); err != nil {
		t.Fatal(err)
	}
	run, err := extract.NewRun(t.TempDir(), time.Now(), nil)
	if err != nil {
		t.Fatal(err)
	}
	sm, err := run.Land(context.Background(), "grow", "test", growingSource{root})
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(orig))
	if in := sm.Inputs[0]; in.Bytes != int64(len(orig)) || in.SHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("recorded %d bytes %s; read %d bytes %x", in.Bytes, in.SHA256, len(orig), sum)
	}
}

// TestValidNameRefusesHostileNames: names become directories and SQL
// identifiers, so anything that could escape either is refused.
func TestValidNameRefusesHostileNames(t *testing.T) {
	for _, s := range []string{"", "..", "../x", "a/b", `a\b`, "gp'", `gp"`, "gp;", "gp--", "gp x", "Gp", "1gp", "gp\x00",
		"select", "table", "order", "group", "from", "where", "union", "drop;table", strings.Repeat("a", 64)} {
		if extract.ValidName(s) == nil {
			t.Errorf("ValidName(%q) accepted", s)
		}
	}
	for _, s := range []string{"gp", "portal_audit", "_x", "drop", "delete", "person", "a1"} {
		if err := extract.ValidName(s); err != nil {
			t.Errorf("ValidName(%q): %v", s, err)
		}
	}
}
