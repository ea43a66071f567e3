package match

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sharedcare/sharedcare/extract/synth"
)

// generateRegion writes a synthetic region of persons people into dir.
func generateRegion(tb testing.TB, dir string, persons int) {
	tb.Helper()
	_, err := synth.Generate(context.Background(), synth.Config{Out: dir, Persons: persons, Seed: 1,
		EndMonth: time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC), Months: 13})
	if err != nil {
		tb.Fatal(err)
	}
}

// loadRegion reads the person-level records of the GP, social prescribing
// and mental health sources as a table (ids prefixed "source:") and the
// truth (record id → person id).
func loadRegion(tb testing.TB, dir string) (*Table, map[string]string) {
	tb.Helper()
	t := &Table{Cols: map[string][]string{}}
	add := func(id, source string, f map[string]string, links []string) {
		t.ID = append(t.ID, id)
		t.Source = append(t.Source, source)
		for _, k := range []string{"nhs_number", "given_name", "family_name", "dob", "sex", "postcode"} {
			t.Cols[k] = append(t.Cols[k], f[k])
		}
		t.Links = append(t.Links, links)
	}
	readCSV(tb, filepath.Join(dir, "sources/gp/patients.csv"), func(r map[string]string) {
		add("gp:"+r["practice_code"]+"/"+r["patient_id"], "gp", map[string]string{
			"nhs_number": r["nhs_number"], "given_name": r["given_name"], "family_name": r["family_name"],
			"dob": r["date_of_birth"], "sex": r["sex"], "postcode": r["postcode"]}, nil)
	})
	readCSV(tb, filepath.Join(dir, "sources/socialprescribing/clients.csv"), func(r map[string]string) {
		add("socialprescribing:"+r["client_id"], "socialprescribing", map[string]string{
			"nhs_number": r["nhs_number"], "given_name": r["first_name"], "family_name": r["last_name"],
			"dob": r["date_of_birth"], "sex": r["gender"], "postcode": r["postcode"]}, nil)
	})
	files, _ := filepath.Glob(filepath.Join(dir, "sources/mentalhealth/Patient.*.ndjson"))
	for _, fn := range files {
		f, err := os.Open(fn)
		if err != nil {
			tb.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 1<<24)
		for sc.Scan() {
			var p struct {
				ID         string `json:"id"`
				Identifier []struct{ System, Value string }
				Name       []struct {
					Family string
					Given  []string
				}
				Gender    string
				BirthDate string
				Address   []struct{ PostalCode string }
				Link      []struct {
					Other struct{ Reference string }
				}
			}
			if err := json.Unmarshal(sc.Bytes(), &p); err != nil {
				tb.Fatal(err)
			}
			f := map[string]string{"dob": p.BirthDate, "sex": p.Gender}
			for _, id := range p.Identifier {
				if id.System == "https://fhir.nhs.uk/Id/nhs-number" {
					f["nhs_number"] = id.Value
				}
			}
			if len(p.Name) > 0 {
				f["family_name"] = p.Name[0].Family
				f["given_name"] = strings.Join(p.Name[0].Given, " ")
			}
			if len(p.Address) > 0 {
				f["postcode"] = p.Address[0].PostalCode
			}
			var links []string
			for _, l := range p.Link {
				links = append(links, "mentalhealth:"+strings.TrimPrefix(l.Other.Reference, "Patient/"))
			}
			add("mentalhealth:"+p.ID, "mentalhealth", f, links)
		}
		if err := sc.Err(); err != nil {
			tb.Fatal(err)
		}
		f.Close()
	}
	truth := map[string]string{}
	readCSV(tb, filepath.Join(dir, "truth/records.csv"), func(r map[string]string) {
		switch r["source"] {
		case "gp", "socialprescribing", "mentalhealth":
			truth[r["source"]+":"+r["record_id"]] = r["person_id"]
		}
	})
	return t, truth
}

func readCSV(tb testing.TB, path string, fn func(map[string]string)) {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(bufio.NewReaderSize(f, 1<<20))
	r.ReuseRecord = true
	head, err := r.Read()
	if err != nil {
		tb.Fatal(err)
	}
	head = append([]string(nil), head...)
	row := make(map[string]string, len(head))
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			tb.Fatalf("%s: %v", path, err)
		}
		for i, h := range head {
			row[h] = rec[i]
		}
		fn(row)
	}
}
