package reports_test

import (
	"bytes"
	"compress/zlib"
	"image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// chromium finds a Chromium binary; the test fails without one (the
// Makefile installs the Debian package chromium).
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	t.Fatal("no chromium binary on PATH: install the chromium package (apt-get install chromium)")
	return ""
}

// The HTML opens in headless Chromium without console errors and renders
// a non-blank page.
func TestHTMLInChromium(t *testing.T) {
	bin := chromium(t)
	res := writeFixture(t, *fixture(t))
	shot := filepath.Join(t.TempDir(), "shot.png")
	cmd := exec.Command(bin, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir="+t.TempDir(), "--enable-logging=stderr", "--v=0",
		"--window-size=1280,2400", "--screenshot="+shot, "file://"+res.HTML)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.Stdout = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium: %v\n%s", err, stderr.String())
	}
	for _, line := range strings.Split(stderr.String(), "\n") {
		if strings.Contains(line, "CONSOLE") || strings.Contains(line, "Uncaught") {
			t.Errorf("console message: %s", line)
		}
	}
	f, err := os.Open(shot)
	if err != nil {
		t.Fatalf("no screenshot: %v\n%s", err, stderr.String())
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("decoding screenshot: %v", err)
	}
	b := img.Bounds()
	var dark, coloured int
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			r, g, bl, _ := img.At(x, y).RGBA()
			if r < 0x8000 && g < 0x8000 && bl < 0x8000 {
				dark++
			}
			if bl > 0x9000 && r < 0x4000 { // NHS blue: rules, cards, charts
				coloured++
			}
		}
	}
	total := (b.Dx() / 2) * (b.Dy() / 2)
	if dark < total/200 || coloured < total/500 {
		t.Errorf("screenshot looks blank: %d dark and %d blue of %d sampled pixels", dark, coloured, total)
	}
}

var (
	pdfStream = regexp.MustCompile(`(?s)<<([^>]*(?:>>[^>]*)*?)>>\s*stream\r?\n(.*?)\r?\nendstream`)
	pdfText   = regexp.MustCompile(`\(((?:\\.|[^\\)])*)\)\s*Tj`)
	pdfCount  = regexp.MustCompile(`/Type /Pages\s*/Kids \[[^\]]*\]\s*/Count (\d+)`)
	pageOfN   = regexp.MustCompile(`Page (\d+) of (\d+)`)
)

// pdfPages returns the text shown on each page of an fpdf document: the
// content streams in order, inflated, their Tj strings joined by newlines.
func pdfPages(t *testing.T, data []byte) (pages []string, count int) {
	t.Helper()
	m := pdfCount.FindSubmatch(data)
	if m == nil {
		t.Fatal("PDF has no page tree count")
	}
	count, _ = strconv.Atoi(string(m[1]))
	for _, s := range pdfStream.FindAllSubmatch(data, -1) {
		dict, body := string(s[1]), s[2]
		if strings.Contains(dict, "/Subtype /Image") || strings.Contains(dict, "/Length1") {
			continue
		}
		if strings.Contains(dict, "/FlateDecode") {
			r, err := zlib.NewReader(bytes.NewReader(body))
			if err != nil {
				continue
			}
			body, err = io.ReadAll(r)
			if err != nil {
				t.Fatalf("inflating content stream: %v", err)
			}
		}
		var words []string
		for _, tj := range pdfText.FindAllSubmatch(body, -1) {
			s := strings.NewReplacer(`\(`, "(", `\)`, ")", `\\`, `\`).Replace(string(tj[1]))
			words = append(words, s)
		}
		if len(words) > 0 {
			pages = append(pages, strings.Join(words, "\n"))
		}
	}
	return pages, count
}

// The board pack has its expected pages, numbered "Page n of N", and its
// text (titles, table headings, figures) can be extracted.
func TestPDF(t *testing.T) {
	res := writeFixture(t, *rawFixture(t))
	data, err := os.ReadFile(res.PDF)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(data, []byte("%PDF-1.")) || !bytes.Contains(data[len(data)-32:], []byte("%%EOF")) {
		t.Fatal("not a complete PDF file")
	}
	pages, count := pdfPages(t, data)
	// Title, headline, three pages of charts (two to a page), five of tables.
	const wantPages = 10
	if count != wantPages || len(pages) != count {
		t.Errorf("%d pages in the page tree, %d with text; want %d", count, len(pages), wantPages)
	}
	for i, p := range pages {
		m := pageOfN.FindStringSubmatch(p)
		if m == nil || m[1] != strconv.Itoa(i+1) || m[2] != strconv.Itoa(count) {
			t.Errorf("page %d footer %q, want Page %d of %d", i+1, m, i+1, count)
		}
	}
	all := strings.Join(pages, "\n")
	for _, want := range []string{
		"Avon & Severn shared care record: programme board report, April 2025",
		"Disclosure control is OFF - for internal operational use",
		"Headline for April 2025",
		"Records viewed: 4,159",
		"St Mary's & St John's Surgery (GP1): poor uptake.",
		"Uptake by partner organisation, April 2025",
		"Severn Mental Health <Partnership> (MH1)",
		"Referral journey for referrals received May 2024 to April 2025",
		"Records rejected by reason",
		"Organisation",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("PDF text lacks %q", want)
		}
	}
	if strings.ContainsAny(all, "▲▼–−") {
		t.Error("PDF text holds characters outside Latin-1")
	}
}
