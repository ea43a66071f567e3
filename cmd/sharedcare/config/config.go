// Package config loads and validates the region's YAML configuration.
//
// One file describes a region: where the lake, warehouse and reports live,
// which source systems to extract and how their files map to landed
// fields, and the matching, report and schedule settings. Relative paths are
// resolved against the config file's directory. Load checks everything up
// front and reports problems with the key and the line they are on.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
	"go.yaml.in/yaml/v3"

	"github.com/sharedcare/sharedcare/extract"
)

// Config is a loaded, validated region configuration.
type Config struct {
	// Dir is the directory of the config file; relative paths are resolved
	// against it by Path.
	Dir string `yaml:"-"`
	// File is the config file's path.
	File string `yaml:"-"`

	Region    string `yaml:"region"`
	TimeZone  string `yaml:"timezone"`
	Lake      string `yaml:"lake"`
	Warehouse string `yaml:"warehouse"`
	// Analytics is the pseudonymised database for analysts (optional): no
	// names, addresses or NHS numbers; persons by keyed pseudonym.
	Analytics string `yaml:"analytics"`
	// PseudonymKeyFile holds the HMAC key for analytics pseudonyms (hex or
	// base64, at least 32 bytes); without it the key comes from
	// SHAREDCARE_PSEUDONYM_KEY_FILE or SHAREDCARE_PSEUDONYM_KEY. A missing
	// key is an error, never a default.
	PseudonymKeyFile string `yaml:"pseudonym_key_file"`
	// MartsExport, if set, is a directory the marts are written to as
	// Parquet after each run, for tools other than DuckDB.
	MartsExport string   `yaml:"marts_export"`
	Reports     string   `yaml:"reports"`
	Sources     []Source `yaml:"sources"`
	Matching    Matching `yaml:"matching"`
	Report      Report   `yaml:"report"`
	Schedule    Schedule `yaml:"schedule"`

	// Location is TimeZone loaded.
	Location *time.Location `yaml:"-"`
}

// Systems a source can feed. The warehouse's staging SQL is written per
// system, so a source names the system it carries.
var Systems = []string{"gp", "acute", "mentalhealth", "socialcare", "socialprescribing", "portal", "reference"}

// Source kinds (connectors).
const (
	KindCSV        = "csv"
	KindAuditJSONL = "audit_jsonl"
	KindHL7        = "hl7"
	KindFHIR       = "fhir"
	KindPostgres   = "postgres"
)

// Source is one upstream system feed.
type Source struct {
	Name     string   `yaml:"name"`
	System   string   `yaml:"system"`
	Kind     string   `yaml:"kind"`
	Path     string   `yaml:"path"`     // file kinds: the directory the files are under
	Files    []string `yaml:"files"`    // audit_jsonl, hl7, fhir: glob patterns
	Entities []Entity `yaml:"entities"` // csv: one mapping per entity
	// postgres: the connection string comes from an environment variable or
	// a file (never from this file), and the tables to land.
	DSNEnv  string  `yaml:"dsn_env"`
	DSNFile string  `yaml:"dsn_file"`
	Tables  []Table `yaml:"tables"`
	// Persons names the entity holding the source's person-level records
	// (for the person index) and the columns that make its record key.
	Persons *Persons `yaml:"persons"`
}

// Table is one PostgreSQL table or query landed as an entity.
type Table struct {
	Entity    string   `yaml:"entity"`
	Table     string   `yaml:"table"`
	Query     string   `yaml:"query"`
	Watermark string   `yaml:"watermark"`
	Key       []string `yaml:"key"`
}

// Persons says where a source's person-level records are. The entity must
// land the columns nhs_number, given_name, family_name, date_of_birth, sex
// and postcode; Key lists the columns whose values, joined with "/", make
// the record key (default record_key).
type Persons struct {
	Entity string   `yaml:"entity"`
	Key    []string `yaml:"key"`
	// Links names a string_list column of "type|Patient/id" references the
	// source asserts are the same person (FHIR Patient.link).
	Links string `yaml:"links"`
	// Merges names an entity with record_key and prior_record_key columns:
	// records the source merged (HL7 A40).
	Merges string `yaml:"merges"`
}

// Entity maps CSV files to a landed entity.
type Entity struct {
	Entity    string   `yaml:"entity"`
	Files     []string `yaml:"files"`
	Delimiter string   `yaml:"delimiter"`
	// Header says whether the first row names the columns (default true);
	// without one, every column needs a position.
	Header   *bool    `yaml:"header"`
	Encoding string   `yaml:"encoding"` // utf-8 (default), windows-1252 or latin-1
	Columns  []Column `yaml:"columns"`
}

// Column maps one CSV column.
type Column struct {
	Name     string `yaml:"name"`
	From     string `yaml:"from"`
	Position int    `yaml:"position"` // 1-based; required when the file has no header
	Type     string `yaml:"type"`
	Format   string `yaml:"format"`
	Required bool   `yaml:"required"`
}

// Matching configures the person index.
type Matching struct {
	// Model is the matching model: "nhs-default" (the embedded NHS model:
	// deterministic NHS-number rule and Fellegi–Sunter), "nhs-number" (link
	// on a valid NHS number only), or the path of a model file.
	Model string `yaml:"model"`
	// Seed drives the random pairs used to estimate u probabilities.
	Seed uint64 `yaml:"seed"`
}

// Report configures the monthly board report.
type Report struct {
	// Month, when set (YYYY-MM), is the month `report` writes by default;
	// otherwise the last complete month.
	Month          string  `yaml:"month"`
	PoorUptakeRate float64 `yaml:"poor_uptake_rate"`
	DeclineShare   float64 `yaml:"decline_share"`
	// DisclosureControl suppresses counts 1-7 and rounds others to 5 in
	// organisation-level tables (default true; false for internal use only).
	DisclosureControl *bool `yaml:"disclosure_control"`
	// WEMWBSChange and SWEMWBSChange are the smallest score rises counted as
	// a meaningful wellbeing change (defaults 3 and 2).
	WEMWBSChange  int `yaml:"wemwbs_meaningful_change"`
	SWEMWBSChange int `yaml:"swemwbs_meaningful_change"`
}

// Schedule configures `sharedcare schedule`.
type Schedule struct {
	TimeZone string `yaml:"timezone"`
	// CatchUp runs, once when the daemon starts, a job whose last scheduled
	// time passed without a successful run (default true).
	CatchUp *bool `yaml:"catch_up"`
	Jobs    []Job `yaml:"jobs"`
}

// Job is one scheduled command.
type Job struct {
	Name    string `yaml:"name"`
	Cron    string `yaml:"cron"`
	Command string `yaml:"command"`
}

// Commands a job may run.
var Commands = []string{"run", "report"}

// Error is a configuration problem at a line of the file.
type Error struct {
	File string
	Line int
	Key  string
	Msg  string
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s: %s", e.File, e.Line, e.Key, e.Msg)
	}
	return fmt.Sprintf("%s: %s: %s", e.File, e.Key, e.Msg)
}

// Load reads and validates the config file at path.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading config: %w", err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	return Parse(abs, data)
}

// Parse validates config text as if read from file (used for messages and
// to resolve relative paths).
func Parse(file string, data []byte) (*Config, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if len(root.Content) == 0 {
		return nil, &Error{File: file, Key: "(document)", Msg: "config is empty"}
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	c := &Config{File: file, Dir: filepath.Dir(file)}
	if err := dec.Decode(c); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	v := validator{file: file, root: root.Content[0]}
	c.validate(&v)
	if len(v.errs) > 0 {
		return nil, errors.Join(v.errs...)
	}
	return c, nil
}

type validator struct {
	file string
	root *yaml.Node
	errs []error
}

// fail records a problem at the key path (strings for mapping keys, ints for
// sequence indexes).
func (v *validator) fail(msg string, path ...any) {
	var keys []string
	for _, p := range path {
		switch p := p.(type) {
		case string:
			keys = append(keys, p)
		case int:
			keys[len(keys)-1] += "[" + strconv.Itoa(p) + "]"
		}
	}
	v.errs = append(v.errs, &Error{File: v.file, Line: v.line(path...), Key: strings.Join(keys, "."), Msg: msg})
}

// line finds the line of the deepest node of path that exists.
func (v *validator) line(path ...any) int {
	n := v.root
	line := n.Line
	for _, p := range path {
		var next *yaml.Node
		switch p := p.(type) {
		case string:
			if n.Kind == yaml.MappingNode {
				for i := 0; i+1 < len(n.Content); i += 2 {
					if n.Content[i].Value == p {
						next = n.Content[i+1]
						line = n.Content[i].Line
					}
				}
			}
		case int:
			if n.Kind == yaml.SequenceNode && p < len(n.Content) {
				next = n.Content[p]
				line = next.Line
			}
		}
		if next == nil {
			return line
		}
		n = next
	}
	return line
}

// Path resolves p against the config directory.
func (c *Config) Path(p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(c.Dir, p)
}

func (c *Config) validate(v *validator) {
	if c.Region == "" {
		v.fail("is required (the region's name, shown on the report)", "region")
	}
	if c.TimeZone == "" {
		c.TimeZone = "Europe/London"
	}
	loc, err := time.LoadLocation(c.TimeZone)
	if err != nil {
		v.fail(fmt.Sprintf("unknown time zone %q", c.TimeZone), "timezone")
	}
	c.Location = loc
	for _, k := range []struct {
		key string
		val *string
	}{{"lake", &c.Lake}, {"warehouse", &c.Warehouse}, {"reports", &c.Reports}} {
		if *k.val == "" {
			v.fail("is required", k.key)
		}
	}
	if len(c.Sources) == 0 {
		v.fail("at least one source is required", "sources")
	}
	names := map[string]bool{}
	for i, s := range c.Sources {
		if err := extract.ValidName(s.Name); err != nil {
			v.fail(err.Error(), "sources", i, "name")
		} else if names[s.Name] {
			v.fail(fmt.Sprintf("source %q appears twice", s.Name), "sources", i, "name")
		}
		names[s.Name] = true
		if !slices.Contains(Systems, s.System) {
			v.fail(fmt.Sprintf("unknown system %q (want one of %s)", s.System, strings.Join(Systems, ", ")), "sources", i, "system")
		}
		if s.Kind == KindPostgres {
			c.validatePostgres(v, i, s)
		} else if s.Path == "" {
			v.fail("is required", "sources", i, "path")
		} else if st, err := os.Stat(c.Path(s.Path)); err != nil {
			v.fail(fmt.Sprintf("%s does not exist", c.Path(s.Path)), "sources", i, "path")
		} else if !st.IsDir() {
			v.fail(fmt.Sprintf("%s is not a directory", c.Path(s.Path)), "sources", i, "path")
		}
		switch s.Kind {
		case KindCSV:
			c.validateCSV(v, i, s)
		case KindPostgres:
		case KindAuditJSONL, KindHL7, KindFHIR:
			if len(s.Files) == 0 {

				v.fail("at least one file pattern is required", "sources", i, "files")
			}
			c.validatePatterns(v, s.Files, "sources", i, "files")
		default:
			v.fail(fmt.Sprintf("unknown kind %q (want csv, audit_jsonl, hl7, fhir or postgres)", s.Kind), "sources", i, "kind")
		}
		if p := s.Persons; p != nil {
			if err := extract.ValidName(p.Entity); err != nil {
				v.fail(err.Error(), "sources", i, "persons", "entity")
			}
			for k, col := range p.Key {
				if err := extract.ValidName(col); err != nil {
					v.fail(err.Error(), "sources", i, "persons", "key", k)
				}
			}
		}
	}
	switch c.Matching.Model {
	case "":
		c.Matching.Model = "nhs-default"
	case "nhs-default", "nhs-number":
	default:
		if _, err := os.Stat(c.Path(c.Matching.Model)); err != nil {
			v.fail(fmt.Sprintf("%q is neither nhs-default, nhs-number nor a readable model file", c.Matching.Model), "matching", "model")
		}
	}
	if c.Report.Month != "" {
		if _, err := time.Parse("2006-01", c.Report.Month); err != nil {
			v.fail(fmt.Sprintf("%q is not a month in the form YYYY-MM", c.Report.Month), "report", "month")
		}
	}
	if r := c.Report.PoorUptakeRate; r < 0 || r > 1 {
		v.fail("must be between 0 and 1", "report", "poor_uptake_rate")
	}
	if r := c.Report.DeclineShare; r < 0 || r > 1 {
		v.fail("must be between 0 and 1", "report", "decline_share")
	}
	c.validateSchedule(v)
}

func (c *Config) validateCSV(v *validator, i int, s Source) {
	if len(s.Entities) == 0 {
		v.fail("a csv source needs at least one entity", "sources", i, "entities")
	}
	for j, e := range s.Entities {
		if err := extract.ValidName(e.Entity); err != nil {
			v.fail(err.Error(), "sources", i, "entities", j, "entity")
		}
		if len(e.Files) == 0 {
			v.fail("at least one file pattern is required", "sources", i, "entities", j, "files")
		}
		c.validatePatterns(v, e.Files, "sources", i, "entities", j, "files")
		if len([]rune(e.Delimiter)) > 1 {
			v.fail("must be a single character", "sources", i, "entities", j, "delimiter")
		}
		if len(e.Columns) == 0 {
			v.fail("at least one column is required", "sources", i, "entities", j, "columns")
		}
		switch e.Encoding {
		case "", "utf-8", "windows-1252", "latin-1":
		default:
			v.fail(fmt.Sprintf("unknown encoding %q (want utf-8, windows-1252 or latin-1)", e.Encoding), "sources", i, "entities", j, "encoding")
		}
		noHeader := e.Header != nil && !*e.Header
		for k, col := range e.Columns {
			if col.Position < 0 || (noHeader && col.Position == 0) {
				v.fail("a file without a header needs each column's position (1 = first column)", "sources", i, "entities", j, "columns", k, "position")
			}
			if err := extract.ValidName(col.Name); err != nil {
				v.fail(err.Error(), "sources", i, "entities", j, "columns", k, "name")
			}
			t, err := extract.ParseType(col.Type)
			if err != nil || t == extract.StringList {
				v.fail(fmt.Sprintf("unknown column type %q (want string, int64, float64, date or timestamp)", col.Type), "sources", i, "entities", j, "columns", k, "type")
			}
			if (t == extract.Date || t == extract.Timestamp) && col.Format == "" {
				v.fail("a date or timestamp column needs a format (a Go time layout such as 02/01/2006)", "sources", i, "entities", j, "columns", k, "format")
			}
		}
	}
}

func (c *Config) validatePatterns(v *validator, pats []string, path ...any) {
	for k, p := range pats {
		if filepath.IsAbs(p) || strings.Contains(p, "..") || strings.Contains(p, `\`) {
			v.fail(fmt.Sprintf("pattern %q must be relative to the source path, without ..", p), append(path, k)...)
			continue
		}
		if _, err := filepath.Match(p, ""); err != nil {
			v.fail(fmt.Sprintf("pattern %q: %v", p, err), append(path, k)...)
		}
	}
}

// CronParser parses job specs: five fields or a descriptor such as @daily.
var CronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// ParseCron parses a spec, turning the parser's known panics on malformed
// TZ= prefixes into errors.
func ParseCron(spec string) (s cron.Schedule, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("invalid cron spec %q: %v", spec, r)
		}
	}()
	if strings.HasPrefix(spec, "TZ=") || strings.HasPrefix(spec, "CRON_TZ=") {
		return nil, fmt.Errorf("cron spec %q: set the time zone with schedule.timezone, not a TZ= prefix", spec)
	}
	return CronParser.Parse(spec)
}

func (c *Config) validateSchedule(v *validator) {
	if c.Schedule.TimeZone == "" {
		c.Schedule.TimeZone = c.TimeZone
	}
	if _, err := time.LoadLocation(c.Schedule.TimeZone); err != nil {
		v.fail(fmt.Sprintf("unknown time zone %q", c.Schedule.TimeZone), "schedule", "timezone")
	}
	names := map[string]bool{}
	for i, j := range c.Schedule.Jobs {
		if j.Name == "" {
			v.fail("is required", "schedule", "jobs", i, "name")
		} else if names[j.Name] {
			v.fail(fmt.Sprintf("job %q appears twice", j.Name), "schedule", "jobs", i, "name")
		}
		names[j.Name] = true
		if _, err := ParseCron(j.Cron); err != nil {
			v.fail(err.Error(), "schedule", "jobs", i, "cron")
		}
		if !slices.Contains(Commands, j.Command) {
			v.fail(fmt.Sprintf("unknown command %q (want one of %s)", j.Command, strings.Join(Commands, ", ")), "schedule", "jobs", i, "command")
		}
	}
}

func (c *Config) validatePostgres(v *validator, i int, s Source) {
	if (s.DSNEnv == "") == (s.DSNFile == "") {
		v.fail("set exactly one of dsn_env (an environment variable holding the connection string) and dsn_file", "sources", i, "dsn_env")
	}
	if len(s.Tables) == 0 {
		v.fail("a postgres source needs at least one table", "sources", i, "tables")
	}
	for j, t := range s.Tables {
		if err := extract.ValidName(t.Entity); err != nil {
			v.fail(err.Error(), "sources", i, "tables", j, "entity")
		}
		if (t.Table == "") == (strings.TrimSpace(t.Query) == "") {
			v.fail("set exactly one of table and query", "sources", i, "tables", j, "table")
		}
		if len(t.Key) == 0 {
			v.fail("key columns are required: they identify a row across incremental runs", "sources", i, "tables", j, "key")
		}
		for k, col := range t.Key {
			if err := extract.ValidName(col); err != nil {
				v.fail(err.Error(), "sources", i, "tables", j, "key", k)
			}
		}
	}
}

// DSN returns a postgres source's connection string from its environment
// variable or file. It is never logged.
func (c *Config) DSN(s Source) (string, error) {
	if s.DSNEnv != "" {
		d := os.Getenv(s.DSNEnv)
		if d == "" {
			return "", fmt.Errorf("source %s: environment variable %s (dsn_env) is not set", s.Name, s.DSNEnv)
		}
		return d, nil
	}
	b, err := os.ReadFile(c.Path(s.DSNFile))
	if err != nil {
		return "", fmt.Errorf("source %s: reading dsn_file: %w", s.Name, err)
	}
	return strings.TrimSpace(string(b)), nil
}
