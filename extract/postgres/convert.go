package postgres

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/sharedcare/sharedcare/extract"
)

// kind is how a column's text form becomes a landed value.
type kind int

const (
	kText        kind = iota // text, varchar, char, name, uuid and any other type: the text form
	kBool                    // "true" / "false"
	kInt                     // int2, int4, int8
	kFloat                   // float4, float8, numeric
	kDate                    // date
	kTimestamp               // timestamp without time zone, read in Config.Location
	kTimestamptz             // timestamp with time zone
	kList                    // text[], varchar[], char[]
)

type column struct {
	name string
	oid  uint32
	kind kind
}

func kindOf(oid uint32) (kind, extract.Type) {
	switch oid {
	case pgtype.BoolOID:
		return kBool, extract.String
	case pgtype.Int2OID, pgtype.Int4OID, pgtype.Int8OID:
		return kInt, extract.Int64
	case pgtype.Float4OID, pgtype.Float8OID, pgtype.NumericOID:
		return kFloat, extract.Float64
	case pgtype.DateOID:
		return kDate, extract.Date
	case pgtype.TimestampOID:
		return kTimestamp, extract.Timestamp
	case pgtype.TimestamptzOID:
		return kTimestamptz, extract.Timestamp
	case pgtype.TextArrayOID, pgtype.VarcharArrayOID, pgtype.BPCharArrayOID:
		return kList, extract.StringList
	default:
		return kText, extract.String
	}
}

// describe derives the landed schema from the result's columns.
func describe(t table, fds []pgconn.FieldDescription) ([]column, extract.Schema, error) {
	schema := extract.Schema{Entity: t.Entity}
	cols := make([]column, len(fds))
	seen := map[string]bool{}
	for i, fd := range fds {
		if err := extract.ValidName(fd.Name); err != nil {
			return nil, schema, fmt.Errorf("column %d cannot be landed (%v): rename it in a Query", i+1, err)
		}
		if seen[fd.Name] {
			return nil, schema, fmt.Errorf("column %s appears twice: rename one in a Query", fd.Name)
		}
		seen[fd.Name] = true
		k, typ := kindOf(fd.DataTypeOID)
		cols[i] = column{name: fd.Name, oid: fd.DataTypeOID, kind: k}
		schema.Fields = append(schema.Fields, extract.Field{Name: fd.Name, Type: typ})
	}
	return cols, schema, nil
}

// Text layouts under the session settings Extract makes (DateStyle ISO,
// TimeZone UTC).
const (
	layoutDate      = "2006-01-02"
	layoutTimestamp = "2006-01-02 15:04:05.999999999"
)

var layoutsTimestamptz = []string{"2006-01-02 15:04:05.999999999-07", "2006-01-02 15:04:05.999999999-07:00", "2006-01-02 15:04:05.999999999-07:00:00"}

type converter struct {
	loc *time.Location
	m   *pgtype.Map
}

// convert fills vals from one row's text values, or returns a reject reason
// and a message naming the column (never the value).
func (c converter) convert(cols []column, rv [][]byte, vals []any) (reason, msg string) {
	for i, col := range cols {
		v := rv[i]
		if v == nil {
			vals[i] = nil
			continue
		}
		switch col.kind {
		case kText:
			if !utf8.Valid(v) {
				return extract.ReasonBadEncoding, fmt.Sprintf("column %s is not valid UTF-8", col.name)
			}
			vals[i] = string(v)
		case kBool:
			switch string(v) {
			case "t":
				vals[i] = "true"
			case "f":
				vals[i] = "false"
			default:
				return extract.ReasonBadValue, fmt.Sprintf("column %s is not a boolean", col.name)
			}
		case kInt:
			n, err := strconv.ParseInt(string(v), 10, 64)
			if err != nil {
				return extract.ReasonBadValue, fmt.Sprintf("column %s is not a 64-bit integer", col.name)
			}
			vals[i] = n
		case kFloat:
			f, err := strconv.ParseFloat(string(v), 64)
			if err != nil {
				if errors.Is(err, strconv.ErrRange) {
					return extract.ReasonBadValue, fmt.Sprintf("column %s is outside the range of float64", col.name)
				}
				return extract.ReasonBadValue, fmt.Sprintf("column %s is not a number", col.name)
			}
			vals[i] = f
		case kDate:
			t, err := time.Parse(layoutDate, string(v))
			if err != nil {
				return extract.ReasonBadValue, fmt.Sprintf("column %s is not a date in years 0001 to 9999 (infinity and BC dates are not landed)", col.name)
			}
			vals[i] = t
		case kTimestamp:
			t, err := time.ParseInLocation(layoutTimestamp, string(v), c.loc)
			if err != nil {
				return extract.ReasonBadValue, fmt.Sprintf("column %s is not a timestamp in years 0001 to 9999 (infinity and BC are not landed)", col.name)
			}
			vals[i] = t
		case kTimestamptz:
			t, err := parseTimestamptz(v)
			if err != nil {
				return extract.ReasonBadValue, fmt.Sprintf("column %s is not a timestamp in years 0001 to 9999 (infinity and BC are not landed)", col.name)
			}
			vals[i] = t
		case kList:
			if len(v) > 0 && v[0] == '[' || bytes.HasPrefix(v, []byte("{{")) {
				// Explicit bounds or nested braces: not one-dimensional (in
				// a one-dimensional array a leading brace would be quoted).
				return extract.ReasonBadValue, fmt.Sprintf("column %s is not a one-dimensional text array", col.name)
			}
			var elems []pgtype.Text
			if err := c.m.Scan(col.oid, pgtype.TextFormatCode, v, &elems); err != nil {
				return extract.ReasonBadValue, fmt.Sprintf("column %s is not a one-dimensional text array", col.name)
			}
			l := make([]string, len(elems))
			for j, e := range elems {
				if !e.Valid {
					return extract.ReasonBadValue, fmt.Sprintf("column %s holds a NULL element, which a string list cannot", col.name)
				}
				if !utf8.ValidString(e.String) {
					return extract.ReasonBadEncoding, fmt.Sprintf("column %s is not valid UTF-8", col.name)
				}
				l[j] = e.String
			}
			vals[i] = l
		}
	}
	return "", ""
}

func parseTimestamptz(v []byte) (time.Time, error) {
	var err error
	for _, l := range layoutsTimestamptz {
		var t time.Time
		if t, err = time.Parse(l, string(v)); err == nil {
			return t, nil
		}
	}
	return time.Time{}, err
}

// watermarkable reports whether the column's values can be carried as a
// watermark and compared again by the server.
func (c column) watermarkable() bool {
	switch c.kind {
	case kInt, kFloat, kDate, kTimestamp, kTimestamptz:
		return true
	case kText:
		switch c.oid {
		case pgtype.TextOID, pgtype.VarcharOID, pgtype.BPCharOID, pgtype.NameOID, pgtype.UUIDOID:
			return true
		}
	}
	return false
}

// watermark formats a watermark column's text value losslessly, in a form
// the server reads back as the same value: integers and numbers as the
// server wrote them (decimal), dates as YYYY-MM-DD, timestamptz as RFC 3339
// in UTC with up to nanosecond digits, timestamp (without time zone) as its
// wall-clock value in the same form without an offset, text as is.
func (c column) watermark(v []byte) (string, error) {
	switch c.kind {
	case kTimestamptz:
		t, err := parseTimestamptz(v)
		if err != nil {
			return "", fmt.Errorf("greatest value is not a timestamp in years 0001 to 9999")
		}
		return t.UTC().Format(time.RFC3339Nano), nil
	case kTimestamp:
		t, err := time.Parse(layoutTimestamp, string(v))
		if err != nil {
			return "", fmt.Errorf("greatest value is not a timestamp in years 0001 to 9999")
		}
		return t.Format("2006-01-02T15:04:05.999999999"), nil
	}
	return string(v), nil
}

// encodeRaw appends the stable raw form of a row: a JSON object of column
// name to the server's text form of the value (null for NULL), in column
// order. It is hashed as the record (_record_hash) and kept with rejects.
// Bytes that are not UTF-8 are kept as they are.
func encodeRaw(buf []byte, cols []column, rv [][]byte) []byte {
	buf = append(buf, '{')
	for i, c := range cols {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = appendJSONString(buf, c.name)
		buf = append(buf, ':')
		if rv[i] == nil {
			buf = append(buf, "null"...)
			continue
		}
		buf = appendJSONString(buf, rv[i])
	}
	return append(buf, '}')
}

const hexDigits = "0123456789abcdef"

func appendJSONString[T string | []byte](buf []byte, s T) []byte {
	buf = append(buf, '"')
	for i := 0; i < len(s); i++ {
		b := s[i]
		switch {
		case b == '"' || b == '\\':
			buf = append(buf, '\\', b)
		case b == '\n':
			buf = append(buf, '\\', 'n')
		case b == '\r':
			buf = append(buf, '\\', 'r')
		case b == '\t':
			buf = append(buf, '\\', 't')
		case b < 0x20:
			buf = append(buf, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xf])
		default:
			buf = append(buf, b)
		}
	}
	return append(buf, '"')
}
