package load

import (
	"context"
	"database/sql"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sharedcare/sharedcare/extract"
	"github.com/sharedcare/sharedcare/transform/personindex"
)

// TestInPlaceBase checks when a build may update the previous warehouse in
// place, and that it says why not otherwise.
func TestInPlaceBase(t *testing.T) {
	wh := filepath.Join(t.TempDir(), "warehouse.duckdb")
	db, err := sql.Open("duckdb", wh)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		"CREATE SCHEMA meta",
		"CREATE TABLE meta.runs (run_id VARCHAR, index_run_id VARCHAR)",
		"INSERT INTO meta.runs VALUES ('R2', 'I2')",
		"CREATE TABLE meta.build (sql_version VARCHAR)",
		"INSERT INTO meta.build VALUES ('" + SQLVersion() + "')",
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	// Tonight's person index listed the records that changed person since
	// I2, the index the published warehouse was built from; I3b since I1.
	lake := t.TempDir()
	for run, from := range map[string]string{"I3": "I2", "I3b": "I1"} {
		dir := filepath.Join(lake, personindex.Dir(run))
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "person_moved.from"), []byte(from+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}

	src := func(name string, files ...string) extract.SourceManifest {
		s := extract.SourceManifest{Name: name}
		for _, f := range files {
			s.Inputs = append(s.Inputs, extract.Input{File: f})
		}
		return s
	}
	run := func(id string, full bool, srcs ...extract.SourceManifest) *extract.Manifest {
		return &extract.Manifest{RunID: id, Full: full, Sources: srcs}
	}
	r1 := run("R1", true, src("gp", "patients.csv"), src("acute", "adt-1.hl7"), src("mh", "Encounter.000.ndjson"), src("audit", "audit-1.jsonl"))
	r2 := run("R2", false, src("gp", "patients.csv"), src("acute", "adt-2.hl7"), src("mh"), src("audit", "audit-2.jsonl"))
	tonight := run("R3", false, src("gp", "patients.csv"), src("acute", "adt-3.hl7"), src("mh"), src("audit", "audit-3.jsonl"))
	opt := func(runs ...*extract.Manifest) Options {
		return Options{
			Manifest: runs[len(runs)-1], Runs: runs, Warehouse: wh, Lake: lake, IndexRun: "I3",
			Systems: map[string]string{"gp": "gp", "acute": "acute", "mh": "mentalhealth", "pg": "acute", "audit": "portal"},
		}
	}
	ctx := context.Background()

	// Tonight only added to the encounter feeds; the GP snapshot landed
	// again, which does not matter.
	if base, why := inPlaceBase(ctx, opt(r1, r2, tonight)); base != "R2" {
		t.Fatalf("in place refused: %q", why)
	}
	if full := rebuiltInFull(opt(r1, r2, tonight)); len(full) != 0 {
		t.Errorf("tonight only added record views, yet %v", full)
	}
	// The portal landed an audit file again: the night is still in place,
	// but core.record_access is built in full; so too when the portal's
	// sources changed.
	for name, o := range map[string]Options{
		"audit file landed again": opt(r1, r2, run("R3", false, src("gp", "patients.csv"), src("acute", "adt-3.hl7"), src("mh"), src("audit", "audit-1.jsonl"))),
		"audit source gone":       opt(r1, r2, run("R3", false, src("gp", "patients.csv"), src("acute", "adt-3.hl7"), src("mh"))),
	} {
		if base, why := inPlaceBase(ctx, o); base != "R2" {
			t.Errorf("%s: in place refused: %q", name, why)
		}
		want := map[string]string{"core.record_access": "source audit landed a file again (audit-1.jsonl)"}
		if name == "audit source gone" {
			want["core.record_access"] = "the sources of record views changed since the last run"
		}
		if got := rebuiltInFull(o); !maps.Equal(got, want) {
			t.Errorf("%s: built in full %v, want %v", name, got, want)
		}
	}
	// Not once the published warehouse was built by other SQL.
	db, err = sql.Open("duckdb", wh)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("UPDATE meta.build SET sql_version = 'older'"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if base, why := inPlaceBase(ctx, opt(r1, r2, tonight)); base != "" || !strings.Contains(why, "other SQL") {
		t.Errorf("a warehouse of other SQL: base %q, why %q", base, why)
	}
	db, err = sql.Open("duckdb", wh)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("UPDATE meta.build SET sql_version = '" + SQLVersion() + "'"); err != nil {
		t.Fatal(err)
	}
	db.Close()

	for _, c := range []struct {
		name string
		opt  Options
		want string
	}{
		{"asked for full", func() Options { o := opt(r1, r2, tonight); o.Full = true; return o }(), "full build was asked"},
		{"full run", opt(r1, r2, run("R3", true, src("acute", "adt-3.hl7"))), "a full run"},
		{"first run", opt(run("R1", false, src("acute", "adt-1.hl7"))), "no earlier run"},
		{"no warehouse", func() Options { o := opt(r1, r2, tonight); o.Warehouse += ".none"; return o }(), "no published warehouse"},
		{"file landed again", opt(r1, r2, run("R3", false, src("gp"), src("acute", "adt-1.hl7"), src("mh"))), "landed a file again (adt-1.hl7)"},
		{"source gone", opt(r1, r2, run("R3", false, src("gp"), src("acute", "adt-3.hl7"))), "sources of encounters changed"},
		{"source added", opt(r1, r2, run("R3", false, src("gp"), src("acute"), src("mh"), src("pg"))), "sources of encounters changed"},
		{"keyed", func() Options {
			o := opt(r1, run("R2", false, src("acute"), src("mh"), src("pg")), run("R3", false, src("acute"), src("mh"), src("pg")))
			o.Keys = map[string]map[string][]string{"pg": {"encounters": {"id"}}}
			return o
		}(), "database table"},
		{"warehouse of another run", opt(r1, run("R2b", false, src("acute"), src("mh")), run("R3", false, src("acute"), src("mh"))), "built from run R2, not the last run R2b"},
		{"index compared with another", func() Options { o := opt(r1, r2, tonight); o.IndexRun = "I3b"; return o }(), "compared with index run I1, not with I2"},
		{"index listed no moves", func() Options { o := opt(r1, r2, tonight); o.IndexRun = "I4"; return o }(), "did not list the records that changed person"},
	} {
		if base, why := inPlaceBase(ctx, c.opt); base != "" || !strings.Contains(why, c.want) {
			t.Errorf("%s: base %q, why %q; want none because %q", c.name, base, why, c.want)
		}
	}
}
