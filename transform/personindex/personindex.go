package personindex

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/sharedcare/sharedcare/transform/nhsnumber"
)

// Record is one person-level source record as landed.
type Record struct {
	Source    string
	System    string // kind of system (gp, acute, …), for survivorship
	Entity    string
	RecordKey string // unique within source and entity
	NHSNumber string // as written in the source
	GivenName string
	Family    string
	BirthDate time.Time // zero when unknown
	Sex       string
	Postcode  string
	// Links are ids (RecordID) of records the source asserts are the same
	// person: HL7 A40 merges, FHIR Patient.link.
	Links []string
}

// Link is a standardised record and the person it belongs to.
type Link struct {
	Source, Entity, RecordKey string
	System                    string
	PersonID                  int64
	Rule                      string  // nhs_number, probabilistic, source_link, clerical or singleton
	Weight                    float64 // match weight of the link that placed the record; NaN for a singleton
	NHSNumber                 string  // valid, normalised; empty otherwise
	NHSStatus                 string  // "valid", "missing", "invalid_…"
	GivenName, Family         string
	BirthDate                 time.Time
	Sex                       string
	Postcode, District        string
}

// Stats summarises an index build.
type Stats struct {
	Records       int
	Persons       int
	NewPersons    int
	ValidNHS      int
	MissingNHS    int
	InvalidNHS    int
	LinkedRecords int // records in a cluster of two or more
	// ModelTrained says the matching model was trained on this build's
	// records (false: an earlier run's model was reused).
	ModelTrained bool
}

func nhsStatus(raw string) (string, string) {
	n, err := nhsnumber.Normalise(raw)
	switch {
	case err == nil:
		return n, "valid"
	case errors.Is(err, nhsnumber.ErrEmpty):
		return "", "missing"
	case errors.Is(err, nhsnumber.ErrCheckDigit), errors.Is(err, nhsnumber.ErrCheckDigitTen):
		return "", "invalid_check_digit"
	case errors.Is(err, nhsnumber.ErrAllSameDigit):
		return "", "dummy"
	default:
		return "", "invalid_format"
	}
}

func recordKey(source, entity, key string) string { return source + "\x00" + entity + "\x00" + key }

// Build standardises and links recs. prev may be nil for a first run.
// The returned links are ordered by source, entity and record key.
func Build(recs []Record, prev *Previous) ([]Link, Stats) {
	if prev == nil {
		prev = &Previous{}
	}
	ls, _ := standardisedLinks(PersonsOf(recs), "") // held in memory: no error
	links := ls.Slice()
	sort.Slice(links, func(i, j int) bool {
		a, b := links[i], links[j]
		if a.Source != b.Source {
			return a.Source < b.Source
		}
		if a.Entity != b.Entity {
			return a.Entity < b.Entity
		}
		return a.RecordKey < b.RecordKey
	})
	// Cluster: by valid NHS number, else the record alone.
	clusters := map[string][]int{}
	var keys []string
	var st Stats
	for i, l := range links {
		var k string
		switch l.NHSStatus {
		case "valid":
			k = "N" + l.NHSNumber
			st.ValidNHS++
			l.Rule = "nhs_number"
		case "missing":
			st.MissingNHS++
			k = "R" + recordKey(l.Source, l.Entity, l.RecordKey)
		default:
			st.InvalidNHS++
			k = "R" + recordKey(l.Source, l.Entity, l.RecordKey)
		}
		if l.Rule == "" {
			links[i].Rule = "singleton"
		} else {
			links[i].Rule = l.Rule
		}
		if _, ok := clusters[k]; !ok {
			keys = append(keys, k)
		}
		clusters[k] = append(clusters[k], i)
	}
	sort.Strings(keys)
	used := map[int64]bool{}
	next := prev.MaxID
	var fresh []string
	ids := make(map[string]int64, len(keys))
	for _, k := range keys {
		id := int64(0)
		if k[0] == 'N' {
			if p, ok := prev.NHS(k[1:]); ok && !used[p] {
				id = p
			}
		}
		if id == 0 {
			for _, i := range clusters[k] {
				l := links[i]
				if p := prev.Record(l.Source, l.Entity, l.RecordKey); p != 0 && !used[p] && (id == 0 || p < id) {
					id = p
				}
			}
		}
		if id == 0 {
			fresh = append(fresh, k)
			continue
		}
		used[id] = true
		ids[k] = id
	}
	for _, k := range fresh {
		next++
		ids[k] = next
	}
	for _, k := range keys {
		members := clusters[k]
		if len(members) > 1 {
			st.LinkedRecords += len(members)
		}
		for _, i := range members {
			links[i].PersonID = ids[k]
		}
	}
	st.Records = len(links)
	st.Persons = len(keys)
	st.NewPersons = len(fresh)
	return links, st
}

// Dir is the index directory of run id, relative to the lake.
func Dir(runID string) string { return filepath.Join("index", "run="+runID) }

// LinkFile is the person_link file of run id, relative to the lake.
func LinkFile(runID string) string { return filepath.Join(Dir(runID), "person_link.parquet") }

// ErrNoIndex means the lake holds no complete index.
var ErrNoIndex = errors.New("the lake has no complete person index")

// Latest returns the run id of the most recent complete index.
func Latest(lake string) (string, error) {
	entries, err := os.ReadDir(filepath.Join(lake, "index"))
	if errors.Is(err, fs.ErrNotExist) {
		return "", ErrNoIndex
	}
	if err != nil {
		return "", err
	}
	var runs []string
	for _, e := range entries {
		id, ok := strings.CutPrefix(e.Name(), "run=")
		if !ok {
			continue
		}
		if _, err := os.Stat(filepath.Join(lake, Dir(id), "_SUCCESS")); err == nil {
			runs = append(runs, id)
		}
	}
	if len(runs) == 0 {
		return "", ErrNoIndex
	}
	sort.Strings(runs)
	return runs[len(runs)-1], nil
}
