package config

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// region writes a synthetic region config and its source directories.
func region(t *testing.T, edit func(string) string) (string, []byte) {
	t.Helper()
	dir := t.TempDir()
	for _, d := range []string{"sources/gp", "sources/acute", "sources/mentalhealth", "sources/portal", "sources/reference", "sources/socialprescribing"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	text := string(SyntheticRegion("Test"))
	if edit != nil {
		text = edit(text)
	}
	path := filepath.Join(dir, "sharedcare.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, []byte(text)
}

func TestSyntheticRegionLoads(t *testing.T) {
	path, _ := region(t, nil)
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if c.Region != "Test" || c.Location.String() != "Europe/London" || len(c.Sources) != 8 || len(c.Schedule.Jobs) != 2 {
		t.Errorf("loaded %+v", c)
	}
	if got := c.Path(c.Lake); got != filepath.Join(filepath.Dir(path), "lake") {
		t.Errorf("lake resolves to %s", got)
	}
}

func lineOf(text, needle string) int {
	i := strings.Index(text, needle)
	return strings.Count(text[:i], "\n") + 1
}

func TestErrorsNameKeyAndLine(t *testing.T) {
	tests := []struct {
		name   string
		edit   func(string) string
		needle string // text on the line the error must point at
		key    string
	}{
		{"bad cron", func(s string) string { return strings.Replace(s, `"30 1 * * *"`, `"61 1 * * *"`, 1) },
			`"61 1 * * *"`, "schedule.jobs[0].cron"},
		{"TZ prefix", func(s string) string { return strings.Replace(s, `"30 1 * * *"`, `"TZ=Nowhere 30 1 * * *"`, 1) },
			`TZ=Nowhere`, "schedule.jobs[0].cron"},
		{"bad month", func(s string) string {
			return strings.Replace(s, "report:\n", "report:\n  month: 2025-13\n", 1)
		}, "month: 2025-13", "report.month"},
		{"missing path", func(s string) string {
			return strings.Replace(s, "path: sources/reference", "path: sources/nowhere", 1)
		},
			"path: sources/nowhere", "sources[7].path"},
		{"bad column type", func(s string) string {
			return strings.Replace(s, "{name: dose, type: string}", "{name: dose, type: text}", 1)
		}, "{name: dose, type: text}", "sources[0].entities[1].columns[5].type"},
		{"bad time zone", func(s string) string {
			return strings.Replace(s, "timezone: Europe/London\nlake", "timezone: Europe/Londres\nlake", 1)
		},
			"timezone: Europe/Londres", "timezone"},
		{"unknown command", func(s string) string { return strings.Replace(s, "command: report}", "command: rm}", 1) },
			"command: rm}", "schedule.jobs[1].command"},
		{"hostile source name", func(s string) string { return strings.Replace(s, "name: reference", "name: \"ref; DROP TABLE x\"", 1) },
			"DROP TABLE", "sources[7].name"},
		{"escaping pattern", func(s string) string { return strings.Replace(s, "files: [users.csv]", "files: [../../etc/passwd]", 1) },
			"../../etc/passwd", "sources[5].entities[0].files[0]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path, text := region(t, tt.edit)
			_, err := Load(path)
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("want *Error, got %v", err)
			}
			if ce.Key != tt.key {
				t.Errorf("key %q, want %q (%v)", ce.Key, tt.key, err)
			}
			if want := lineOf(string(text), tt.needle); ce.Line != want {
				t.Errorf("line %d, want %d (%v)", ce.Line, want, err)
			}
			if !strings.Contains(err.Error(), path) {
				t.Errorf("error does not name the file: %v", err)
			}
		})
	}
}

func TestUnknownKeyNamesLine(t *testing.T) {
	path, text := region(t, func(s string) string {
		return strings.Replace(s, "reports: reports\n", "reports: reports\nreprots: x\n", 1)
	})
	_, err := Load(path)
	if err == nil {
		t.Fatal("unknown key accepted")
	}
	want := "line " + strconv.Itoa(lineOf(string(text), "reprots")) + ": field reprots not found"
	if !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not contain %q", err, want)
	}
}

func TestParseCronRecoversPanics(t *testing.T) {
	for _, spec := range []string{"TZ=", "CRON_TZ=Europe/London", "", "* * *", "@every", "@hourly x"} {
		if _, err := ParseCron(spec); err == nil {
			t.Errorf("%q accepted", spec)
		}
	}
	if _, err := ParseCron("30 1 * * *"); err != nil {
		t.Error(err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add(string(SyntheticRegion("x")))
	f.Add("region: x\nsources: [{name: a}]\n")
	f.Add("schedule: {jobs: [{name: a, cron: 'TZ=', command: run}]}")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := Parse("/nonexistent/sharedcare.yaml", []byte(s))
		if err == nil && c == nil {
			t.Fatal("nil config without error")
		}
	})
}
