package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sharedcare/sharedcare/load"
)

// notNames are given and family names of the synthetic truth that are also
// ordinary words or parts of organisation and place names the logs
// legitimately print (the region, its trusts and practices are named after
// places and people); a log line holding them is no evidence of a leak.
// Each is checked against the logs only when it is not in this list and
// not a word of the organisation names the run itself wrote.
var notNames = map[string]bool{
	"WILL": true, "MAY": true, "JUNE": true, "APRIL": true, "MARK": true, "ROSE": true, "GRACE": true, "HOPE": true,
	"JOY": true, "FAITH": true, "BILL": true, "SUE": true, "PAT": true, "LEE": true, "KING": true, "BROWN": true,
	"GREEN": true, "WHITE": true, "BLACK": true, "YOUNG": true, "LONG": true, "HILL": true, "WOOD": true, "PARK": true,
	"HALL": true, "BANK": true, "FIELD": true, "WELL": true, "SHORT": true, "ROW": true, "RUN": true, "SUN": true,
	"TEST": true, "DATA": true, "CARE": true, "ICS": true,
}

// orgWords are the words of every organisation name in the region's
// reference data: names such as "Park Road Surgery" may share a word with
// a patient's surname and are logged legitimately.
func orgWords(t *testing.T, dir string) map[string]bool {
	t.Helper()
	words := map[string]bool{}
	for _, p := range []string{filepath.Join(dir, "sources", "reference", "organisations.csv"), filepath.Join(dir, "sources", "portal", "users.csv")} {
		data, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		for _, w := range regexp.MustCompile(`[A-Za-z']+`).FindAllString(string(data), -1) {
			words[strings.ToUpper(w)] = true
		}
	}
	return words
}

// checkNoIdentifiers fails if text holds an NHS number, postcode, or given
// or family name (whole word, any case) of a person in the truth.
func checkNoIdentifiers(t *testing.T, what, text, dir string) {
	t.Helper()
	truth := readCSV(t, filepath.Join(dir, "truth", "persons.csv"))
	if len(truth) == 0 {
		t.Fatal("no truth")
	}
	skip := orgWords(t, dir)
	upper := strings.ToUpper(text)
	words := map[string]bool{}
	for _, w := range regexp.MustCompile(`[A-Z][A-Z'-]*`).FindAllString(upper, -1) {
		words[w] = true
	}
	var checked, leaks int
	for _, p := range truth {
		for _, k := range []string{"nhs_number", "postcode"} {
			if v := p[k]; v != "" && (strings.Contains(text, v) || strings.Contains(upper, strings.ReplaceAll(strings.ToUpper(v), " ", ""))) {
				t.Errorf("%s contains a %s from the truth", what, k)
				leaks++
			}
		}
		for _, k := range []string{"given_name", "family_name"} {
			v := strings.ToUpper(p[k])
			if len(v) < 3 || notNames[v] || skip[v] {
				continue
			}
			checked++
			if words[v] {
				t.Errorf("%s contains the %s %q of a person in the truth", what, k, v)
				leaks++
			}
		}
		if leaks > 5 {
			t.Fatal("too many leaks to list")
		}
	}
	if checked == 0 {
		t.Fatal("no name was checked")
	}
}

// TestDemoLogsCarryNoIdentifiers runs `sharedcare demo` (text and JSON
// logs, verbose) and checks its logs, the reject messages in the lake and
// the permissions of everything it wrote.
func TestDemoLogsCarryNoIdentifiers(t *testing.T) {
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "demo")
			cmd := exec.Command(os.Args[0], "--log-format", format, "-v", "demo", "--dir", dir, "--persons", "400")
			cmd.Env = append(os.Environ(), "SHAREDCARE_BE_CLI=1")
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil {
				t.Fatalf("demo: %v\n%s", err, stderr.String())
			}
			if stderr.Len() < 500 {
				t.Fatalf("suspiciously short log:\n%s", stderr.String())
			}
			checkNoIdentifiers(t, "the "+format+" log", stderr.String(), dir)
			checkNoIdentifiers(t, "the demo's output", stdout.String(), dir)
			if format != "text" {
				return
			}

			// Reject messages name fields, never values.
			var msgs strings.Builder
			db := openDB(t, filepath.Join(dir, "warehouse", "warehouse.duckdb"))
			rejects, _ := filepath.Glob(filepath.Join(dir, "lake", "rejects", "*", "*", "*.parquet"))
			if len(rejects) == 0 {
				t.Fatal("the demo wrote no rejects: nothing to check")
			}
			for _, f := range rejects {
				lit, err := load.QuoteLiteral(f)
				if err != nil {
					t.Fatal(err)
				}
				rows, err := db.Query("SELECT message FROM read_parquet(" + lit + ")")
				if err != nil {
					t.Fatal(err)
				}
				for rows.Next() {
					var m string
					rows.Scan(&m)
					msgs.WriteString(m + "\n")
				}
				rows.Close()
			}
			checkNoIdentifiers(t, "the reject messages", msgs.String(), dir)

			// Owner-only: the lake, warehouse and reports, files and dirs.
			var seen int
			for _, sub := range []string{"lake", "warehouse", "reports"} {
				filepath.Walk(filepath.Join(dir, sub), func(p string, info os.FileInfo, err error) error {
					if err != nil {
						t.Error(err)
						return nil
					}
					seen++
					if info.Mode().Perm()&0o077 != 0 {
						t.Errorf("%s has mode %v: group or other can read identifiable data", p, info.Mode().Perm())
					}
					return nil
				})
			}
			if seen < 20 {
				t.Errorf("only %d paths walked", seen)
			}
		})
	}
}

// TestDSNPasswordNeverShown: a postgres source that cannot be reached
// fails the run, and neither the log nor the error shows the DSN's
// password.
func TestDSNPasswordNeverShown(t *testing.T) {
	r := newRegion(t, 300, 43, time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC))
	const pw = "Pa55-w0rd-XYZZY"
	for i, dsn := range []string{
		"postgres://carer:" + pw + "@127.0.0.1:1/social?connect_timeout=2",
		"host=127.0.0.1 port=1 user=carer password=" + pw + " dbname=social connect_timeout=2",
		"postgres://carer:" + pw + "@127.0.0.1:notaport/social", // unparseable: refused before connecting
	} {
		code, _, out := cliRun(t, []string{"SHAREDCARE_SOCIALCARE_DSN=" + dsn}, "-v", "run", "--config", r.cfg.File)
		if code == ExitOK {
			t.Fatalf("run against a closed port succeeded:\n%s", out)
		}
		if strings.Contains(out, pw) {
			t.Errorf("the output shows the DSN password:\n%s", out)
		}
		if i < 2 && !strings.Contains(out, "socialcare") {
			t.Errorf("the error does not name the source:\n%s", out)
		}
	}
	// In-process too: the returned error carries no password.
	t.Setenv("SHAREDCARE_SOCIALCARE_DSN", "postgres://carer:"+pw+"@127.0.0.1:1/social?connect_timeout=1")
	_, err := runPipeline(context.Background(), r.cfg, r.log, time.Now, runOptions{})
	if err == nil || strings.Contains(err.Error(), pw) || strings.Contains(r.logs.String(), pw) {
		t.Errorf("error %v or the log shows the password", err)
	}
}
