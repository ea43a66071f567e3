package hl7

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sharedcare/sharedcare/extract"
)

// writeFeed writes an MLLP-framed ADT feed of n messages, in the shape of
// the acute PAS feed, and returns its size.
func writeFeed(tb testing.TB, path string, n int) int64 {
	tb.Helper()
	var sb strings.Builder
	events := []string{"A04", "A01", "A03", "A08", "A40"}
	for i := range n {
		ev := events[i%len(events)]
		at := fmt.Sprintf("20250301%02d%02d%02d", i/3600%24, i/60%60, i%60)
		fmt.Fprintf(&sb, "\x0bMSH|^~\\&|PAS|RXX|SHAREDCARE|ICS|%s||ADT^%s^ADT_A01|MSG%09d|P|2.4|||AL|NE|GBR\r", at, ev, i)
		fmt.Fprintf(&sb, "EVN|%s|%s\r", ev, at)
		fmt.Fprintf(&sb, "PID|1||H%08d^^^RXX^MR~94347659%02d^^^NHS^NH||SMITH^JANE^ANNE^^MRS||19800101|F|||%d HIGH STREET^FLAT 2^BRISTOL^^BS1 4DJ^GBR^H||0117 496 0000^PRN^PH\r", i, i%100, i)
		if ev == "A40" {
			fmt.Fprintf(&sb, "MRG|H%08d^^^RXX^MR\r", i+1)
		} else {
			fmt.Fprintf(&sb, "PV1|1|I|WARD 7^^^RXX||||C1000002^JONES^GARETH^^^DR|||300|||||||||V%08d^^^RXX^VN|||||||||||||||||||||||||20250301093000|20250302101500\r", i)
		}
		sb.WriteString("\x1c\r")
	}
	if err := os.WriteFile(path, []byte(sb.String()), 0o600); err != nil {
		tb.Fatal(err)
	}
	return int64(sb.Len())
}

// BenchmarkExtract lands a 20,000-message ADT feed, Parquet files included.
func BenchmarkExtract(b *testing.B) {
	dir := b.TempDir()
	size := writeFeed(b, filepath.Join(dir, "adt.hl7"), 20000)
	src, err := New(dir, []string{"*.hl7"})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(size)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		run, err := extract.NewRun(b.TempDir(), time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), nil)
		if err != nil {
			b.Fatal(err)
		}
		sm, err := run.Land(context.Background(), "acute", "hl7", src)
		if err != nil {
			b.Fatal(err)
		}
		if m := entityStats(sm, "messages"); m.Landed != 20000 {
			b.Fatalf("landed %d messages", m.Landed)
		}
	}
}

// BenchmarkParse cuts and parses the same feed in memory, without landing.
func BenchmarkParse(b *testing.B) {
	path := filepath.Join(b.TempDir(), "adt.hl7")
	writeFeed(b, path, 20000)
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		sp := splitter{data: data}
		for {
			raw, segs, ok := sp.next()
			if !ok {
				break
			}
			if _, err := Parse(raw, segs); err != nil {
				b.Fatal(err)
			}
		}
	}
}
