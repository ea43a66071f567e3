package personindex

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sharedcare/sharedcare/extract"
	"github.com/sharedcare/sharedcare/transform/nhsnumber"
	"github.com/sharedcare/sharedcare/transform/standardise"
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
}

// Link is a standardised record and the person it belongs to.
type Link struct {
	Source, Entity, RecordKey string
	System                    string
	PersonID                  int64
	Rule                      string // "nhs_number" or "singleton"
	NHSNumber                 string // valid, normalised; empty otherwise
	NHSStatus                 string // "valid", "missing", "invalid_…"
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

// Previous is what the last index said: person ids by record and by NHS number.
type Previous struct {
	ByRecord map[string]int64
	ByNHS    map[string]int64
	MaxID    int64
}

func recordKey(source, entity, key string) string { return source + "\x00" + entity + "\x00" + key }

// Build standardises and links recs. prev may be nil for a first run.
// The returned links are ordered by source, entity and record key.
func Build(recs []Record, prev *Previous) ([]Link, Stats) {
	if prev == nil {
		prev = &Previous{}
	}
	links := make([]Link, len(recs))
	for i, r := range recs {
		nhs, status := nhsStatus(r.NHSNumber)
		pc := standardise.ParsePostcode(r.Postcode)
		links[i] = Link{Source: r.Source, System: r.System, Entity: r.Entity, RecordKey: r.RecordKey,
			NHSNumber: nhs, NHSStatus: status,
			GivenName: standardise.Name(r.GivenName), Family: standardise.Name(r.Family),
			BirthDate: r.BirthDate, Sex: standardise.Sex(r.Sex), Postcode: pc.Full, District: pc.District}
	}
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
			if p, ok := prev.ByNHS[k[1:]]; ok && !used[p] {
				id = p
			}
		}
		if id == 0 {
			for _, i := range clusters[k] {
				l := links[i]
				if p, ok := prev.ByRecord[recordKey(l.Source, l.Entity, l.RecordKey)]; ok && !used[p] && (id == 0 || p < id) {
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

var linkSchema = arrow.NewSchema([]arrow.Field{
	{Name: "source", Type: arrow.BinaryTypes.String},
	{Name: "system", Type: arrow.BinaryTypes.String},
	{Name: "entity", Type: arrow.BinaryTypes.String},
	{Name: "record_key", Type: arrow.BinaryTypes.String},
	{Name: "person_id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "match_rule", Type: arrow.BinaryTypes.String},
	{Name: "nhs_number", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "nhs_number_status", Type: arrow.BinaryTypes.String},
	{Name: "given_name", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "family_name", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "date_of_birth", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
	{Name: "sex", Type: arrow.BinaryTypes.String},
	{Name: "postcode", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "postcode_district", Type: arrow.BinaryTypes.String, Nullable: true},
}, nil)

// Dir is the index directory of run id, relative to the lake.
func Dir(runID string) string { return filepath.Join("index", "run="+runID) }

// LinkFile is the person_link file of run id, relative to the lake.
func LinkFile(runID string) string { return filepath.Join(Dir(runID), "person_link.parquet") }

// Write writes links as the index of run id and marks it complete.
func Write(lake, runID string, links []Link, mem memory.Allocator) error {
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	pf, err := extract.CreateParquet(lake, LinkFile(runID), linkSchema, mem)
	if err != nil {
		return err
	}
	b := array.NewRecordBuilder(mem, linkSchema)
	defer b.Release()
	str := func(i int, s string) {
		if s == "" {
			b.Field(i).AppendNull()
		} else {
			b.Field(i).(*array.StringBuilder).Append(s)
		}
	}
	flush := func() error {
		rec := b.NewRecordBatch()
		defer rec.Release()
		return pf.Write(rec)
	}
	for n, l := range links {
		b.Field(0).(*array.StringBuilder).Append(l.Source)
		b.Field(1).(*array.StringBuilder).Append(l.System)
		b.Field(2).(*array.StringBuilder).Append(l.Entity)
		b.Field(3).(*array.StringBuilder).Append(l.RecordKey)
		b.Field(4).(*array.Int64Builder).Append(l.PersonID)
		b.Field(5).(*array.StringBuilder).Append(l.Rule)
		str(6, l.NHSNumber)
		b.Field(7).(*array.StringBuilder).Append(l.NHSStatus)
		str(8, l.GivenName)
		str(9, l.Family)
		if l.BirthDate.IsZero() {
			b.Field(10).AppendNull()
		} else {
			b.Field(10).(*array.Date32Builder).Append(arrow.Date32FromTime(l.BirthDate))
		}
		b.Field(11).(*array.StringBuilder).Append(l.Sex)
		str(12, l.Postcode)
		str(13, l.District)
		if (n+1)%65536 == 0 {
			if err := flush(); err != nil {
				pf.Abort()
				return err
			}
		}
	}
	if err := flush(); err != nil {
		pf.Abort()
		return err
	}
	if _, err := pf.Close(); err != nil {
		return err
	}
	marker := filepath.Join(lake, Dir(runID), "_SUCCESS")
	return os.WriteFile(marker, nil, 0o600)
}

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

// ReadPrevious loads the latest complete index as a Previous, or an empty
// one when there is none.
func ReadPrevious(ctx context.Context, lake string, mem memory.Allocator) (*Previous, error) {
	id, err := Latest(lake)
	if errors.Is(err, ErrNoIndex) {
		return &Previous{}, nil
	}
	if err != nil {
		return nil, err
	}
	p := &Previous{ByRecord: map[string]int64{}, ByNHS: map[string]int64{}}
	err = ReadParquet(ctx, filepath.Join(lake, LinkFile(id)), []string{"source", "entity", "record_key", "person_id", "nhs_number"}, mem,
		func(cols []arrow.Array, i int) error {
			pid := cols[3].(*array.Int64).Value(i)
			p.ByRecord[recordKey(str(cols[0], i), str(cols[1], i), str(cols[2], i))] = pid
			if n := str(cols[4], i); n != "" {
				if old, ok := p.ByNHS[n]; !ok || pid < old {
					p.ByNHS[n] = pid
				}
			}
			if pid > p.MaxID {
				p.MaxID = pid
			}
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("reading previous person index %s: %w", id, err)
	}
	return p, nil
}
