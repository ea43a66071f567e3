package extract

import (
	"fmt"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
)

// Type is the landed type of a field.
type Type int

// Field types. Values passed to EntityWriter.Append must match: String →
// string, Int64 → int64, Float64 → float64, Date → time.Time (the calendar
// date is used), Timestamp → time.Time (stored as UTC), StringList →
// []string. nil is a null.
const (
	String Type = iota
	Int64
	Float64
	Date
	Timestamp
	StringList
)

var typeNames = map[Type]string{String: "string", Int64: "int64", Float64: "float64", Date: "date", Timestamp: "timestamp", StringList: "string_list"}

func (t Type) String() string {
	if n, ok := typeNames[t]; ok {
		return n
	}
	return fmt.Sprintf("Type(%d)", int(t))
}

// ParseType turns a config type name into a Type.
func ParseType(s string) (Type, error) {
	for t, n := range typeNames {
		if n == s {
			return t, nil
		}
	}
	return 0, fmt.Errorf("unknown field type %q (want string, int64, float64, date, timestamp or string_list)", s)
}

func (t Type) arrow() arrow.DataType {
	switch t {
	case Int64:
		return arrow.PrimitiveTypes.Int64
	case Float64:
		return arrow.PrimitiveTypes.Float64
	case Date:
		return arrow.FixedWidthTypes.Date32
	case Timestamp:
		return &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
	case StringList:
		return arrow.ListOf(arrow.BinaryTypes.String)
	default:
		return arrow.BinaryTypes.String
	}
}

// Field is one column of an entity.
type Field struct {
	Name string
	Type Type
}

// Schema describes one entity a source lands.
type Schema struct {
	Entity string
	Fields []Field
}

// Lineage column names, present on every landed row.
const (
	ColSource      = "_source"
	ColEntity      = "_entity"
	ColRunID       = "_run_id"
	ColExtractedAt = "_extracted_at"
	ColSourceFile  = "_source_file"
	ColPosition    = "_position"
	ColRecordHash  = "_record_hash"
)

func (s Schema) arrowSchema() *arrow.Schema {
	fs := make([]arrow.Field, 0, len(s.Fields)+7)
	for _, f := range s.Fields {
		fs = append(fs, arrow.Field{Name: f.Name, Type: f.Type.arrow(), Nullable: true})
	}
	fs = append(fs,
		arrow.Field{Name: ColSource, Type: arrow.BinaryTypes.String},
		arrow.Field{Name: ColEntity, Type: arrow.BinaryTypes.String},
		arrow.Field{Name: ColRunID, Type: arrow.BinaryTypes.String},
		arrow.Field{Name: ColExtractedAt, Type: Timestamp.arrow()},
		arrow.Field{Name: ColSourceFile, Type: arrow.BinaryTypes.String},
		arrow.Field{Name: ColPosition, Type: arrow.PrimitiveTypes.Int64},
		arrow.Field{Name: ColRecordHash, Type: arrow.BinaryTypes.String},
	)
	return arrow.NewSchema(fs, nil)
}

// validate checks names are usable as Parquet columns and partition values.
func (s Schema) validate() error {
	if err := ValidName(s.Entity); err != nil {
		return fmt.Errorf("entity: %w", err)
	}
	seen := map[string]bool{}
	for _, f := range s.Fields {
		if err := ValidName(f.Name); err != nil {
			return fmt.Errorf("entity %s field: %w", s.Entity, err)
		}
		if seen[f.Name] {
			return fmt.Errorf("entity %s: field %q appears twice", s.Entity, f.Name)
		}
		seen[f.Name] = true
	}
	return nil
}

// ValidName reports whether s may name a source, entity or field: a lower-case
// letter followed by lower-case letters, digits and underscores, at most 63
// bytes, and not a reserved SQL keyword. Names become directory names and SQL
// identifiers, so nothing else is allowed.
func ValidName(s string) error {
	if s == "" || len(s) > 63 {
		return fmt.Errorf("name %q must have 1 to 63 characters", s)
	}
	for i, r := range s {
		ok := r >= 'a' && r <= 'z' || r == '_' || (i > 0 && r >= '0' && r <= '9')
		if !ok {
			return fmt.Errorf("name %q may hold only a-z, 0-9 and _, starting with a letter or _", s)
		}
	}
	if reservedSQL[s] {
		return fmt.Errorf("name %q is a reserved SQL keyword", s)
	}
	return nil
}

// reservedSQL are DuckDB 1.5's reserved keywords (duckdb_keywords() with
// keyword_category 'reserved'; a test in cmd/sharedcare keeps the list in
// step). A name becomes an identifier that analysts write unquoted, and
// these cannot be.
var reservedSQL = func() map[string]bool {
	m := map[string]bool{}
	for _, k := range strings.Fields(`all analyse analyze and any array as asc asymmetric both case cast check
		collate column constraint create default deferrable desc describe distinct do else end except false
		fetch for foreign from group having in initially intersect into lambda lateral leading limit not null
		offset on only or order pivot pivot_longer pivot_wider placing primary qualify references returning
		select show some summarize symmetric table then to trailing true union unique unpivot using variadic
		when where window with`) {
		m[k] = true
	}
	return m
}()

// ReservedSQL reports whether s is one of the reserved SQL keywords that
// ValidName refuses.
func ReservedSQL(s string) bool { return reservedSQL[s] }

// dateOnly keeps the calendar date of t, whatever its location.
func dateOnly(t time.Time) arrow.Date32 {
	y, m, d := t.Date()
	return arrow.Date32FromTime(time.Date(y, m, d, 0, 0, 0, 0, time.UTC))
}

// flat reports whether the entity has no list fields.
func (s Schema) flat() bool {
	for _, f := range s.Fields {
		if f.Type == StringList {
			return false
		}
	}
	return true
}
