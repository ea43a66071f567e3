package personindex

import (
	"context"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

func rec(key, nhs, given, family string) Record {
	return Record{Source: "gp", Entity: "patients", RecordKey: key, NHSNumber: nhs, GivenName: given, Family: family,
		BirthDate: time.Date(1980, 2, 1, 0, 0, 0, 0, time.UTC), Sex: "F", Postcode: "bs1 4dj"}
}

func byKey(links []Link) map[string]Link {
	m := map[string]Link{}
	for _, l := range links {
		m[l.RecordKey] = l
	}
	return m
}

func TestBuildLinksOnValidNHSNumberOnly(t *testing.T) {
	recs := []Record{
		rec("P1/1", "943 476 5919", "Mary", "O'Brien"),
		rec("P2/7", "9434765919", "Mary", "OBrien"), // same person, another practice
		rec("P1/2", "9434765918", "Mary", "Smith"),  // wrong check digit: alone
		rec("P1/3", "", "John", "Smith"),            // missing: alone
		rec("P1/4", "", "John", "Smith"),            // missing: alone, never linked to P1/3
		rec("P1/5", "4010232137", "Ann", "Jones"),
	}
	links, st := Build(recs, nil)
	m := byKey(links)
	if m["P1/1"].PersonID != m["P2/7"].PersonID {
		t.Error("records sharing a valid NHS number are not one person")
	}
	if m["P1/1"].Rule != "nhs_number" || m["P1/3"].Rule != "singleton" {
		t.Errorf("rules %s %s", m["P1/1"].Rule, m["P1/3"].Rule)
	}
	ids := map[int64]bool{}
	for _, k := range []string{"P1/1", "P1/2", "P1/3", "P1/4", "P1/5"} {
		if ids[m[k].PersonID] {
			t.Errorf("%s shares a person id it should not", k)
		}
		ids[m[k].PersonID] = true
	}
	if m["P1/2"].NHSStatus != "invalid_check_digit" || m["P1/3"].NHSStatus != "missing" || m["P1/1"].NHSNumber != "9434765919" {
		t.Errorf("statuses: %+v", m)
	}
	if m["P1/1"].Family != "OBRIEN" || m["P1/1"].Postcode != "BS1 4DJ" || m["P1/1"].District != "BS1" {
		t.Errorf("not standardised: %+v", m["P1/1"])
	}
	if st.Records != 6 || st.Persons != 5 || st.ValidNHS != 3 || st.MissingNHS != 2 || st.InvalidNHS != 1 || st.LinkedRecords != 2 {
		t.Errorf("stats %+v", st)
	}
}

func TestIDsPersistAcrossRuns(t *testing.T) {
	ctx := context.Background()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	lake := t.TempDir()
	day1 := []Record{rec("P1/1", "9434765919", "Mary", "Smith"), rec("P1/3", "", "John", "Smith"), rec("P1/5", "4010232137", "Ann", "Jones")}
	l1, _ := Build(day1, nil)
	if err := Write(lake, "r1", l1, mem); err != nil {
		t.Fatal(err)
	}
	prev, err := ReadPrevious(ctx, lake, mem)
	if err != nil {
		t.Fatal(err)
	}
	// Day 2: a new person arrives whose key sorts first, John's record gains
	// an NHS number, and Mary moves practice.
	day2 := []Record{rec("A0/1", "", "Zed", "Aardvark"), rec("P1/3", "4857773457", "John", "Smith"), rec("P1/5", "4010232137", "Ann", "Jones"), rec("P9/1", "9434765919", "Mary", "Smith")}
	l2, st := Build(day2, prev)
	m1, m2 := byKey(l1), byKey(l2)
	if m2["P1/3"].Rule != "nhs_number" {
		t.Fatalf("John's new NHS number did not validate: %+v", m2["P1/3"])
	}
	if m2["P1/3"].PersonID != m1["P1/3"].PersonID {
		t.Error("John's id changed when his record gained an NHS number")
	}
	if m2["P9/1"].PersonID != m1["P1/1"].PersonID {
		t.Error("Mary's id changed when she moved practice")
	}
	if m2["P1/5"].PersonID != m1["P1/5"].PersonID {
		t.Error("Ann's id changed")
	}
	if m2["A0/1"].PersonID != 4 || st.NewPersons != 1 {
		t.Errorf("new person got id %d (new %d), want 4", m2["A0/1"].PersonID, st.NewPersons)
	}
	// The same inputs and previous index give the same ids.
	again, _ := Build(day2, prev)
	for i := range again {
		if again[i] != l2[i] {
			t.Fatalf("rerun differs at %d: %+v vs %+v", i, again[i], l2[i])
		}
	}
}

func TestLatestIgnoresIncompleteIndex(t *testing.T) {
	lake := t.TempDir()
	if _, err := Latest(lake); err != ErrNoIndex {
		t.Fatalf("empty lake: %v", err)
	}
	l, _ := Build([]Record{rec("P1/1", "9434765919", "Mary", "Smith")}, nil)
	if err := Write(lake, "r1", l, nil); err != nil {
		t.Fatal(err)
	}
	if err := Write(lake, "r2", l, nil); err != nil {
		t.Fatal(err)
	}
	// Simulate a crash before r3's marker.
	if err := Write(lake, "r3", l, nil); err != nil {
		t.Fatal(err)
	}
	if err := removeMarker(lake, "r3"); err != nil {
		t.Fatal(err)
	}
	if id, err := Latest(lake); err != nil || id != "r2" {
		t.Fatalf("Latest = %s, %v; want r2", id, err)
	}
}
