// Package csv lands delimited text files through a configured mapping.
//
// Each Entity maps a set of files (glob patterns relative to the source
// root) with a header row to landed fields: the header name to read, the
// landed name, the type (string, int64, float64, date, timestamp) with its
// Go time layout, and whether the value is required. Values are trimmed of
// surrounding spaces; an empty value is null. A UTF-8 byte-order mark before
// the header is ignored.
//
// A record is rejected, and the file goes on, when it cannot be parsed
// (parse_error), has a different number of fields from the header
// (field_count), is not valid UTF-8 (bad_encoding), lacks a required value
// (missing_field) or holds a value that does not fit its type (bad_value).
// A rejected record keeps its exact text (decoded to UTF-8) as raw bytes.
// Files may be UTF-8 (a byte-order mark is ignored), Windows-1252 or
// Latin-1, with or without a header row; without one, columns are mapped
// by position and every record must have as many fields as the first. A missing file or a header without a mapped column fails the
// run: those are feed problems, not record problems.
package csv
