package hl7

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	_ "time/tzdata" // Europe/London, the default zone, on hosts without zoneinfo

	"github.com/sharedcare/sharedcare/extract"
)

// MaxFile is the largest input file read, in bytes; a larger file fails
// the run. A file is read a chunk at a time as it is cut into messages,
// so it is not held whole.
const MaxFile = 1 << 30

// MaxMessage is the longest message landed, in bytes, with the blank lines
// after it. A message is held whole while it is cut, parsed and landed; a
// longer one is rejected (extract.ReasonRecordTooLong), its start as its
// raw record (as much as a reject keeps), without being held whole, and
// the messages after it are landed.
const MaxMessage = 64 << 20

// Reject reasons of this connector, besides the shared extract.Reason ones.
const (
	// ReasonUnsupported marks a well-formed message of a type that is not
	// landed (anything but ADT and ORU^R01).
	ReasonUnsupported = "unsupported_message"
)

// Entity schemas. The patients schema is the person-level contract read by
// the person index: its first seven columns must keep their names.
var (
	MessagesSchema = extract.Schema{Entity: "messages", Fields: []extract.Field{
		{Name: "message_control_id", Type: extract.String},
		{Name: "message_type", Type: extract.String},
		{Name: "trigger_event", Type: extract.String},
		{Name: "message_structure", Type: extract.String},
		{Name: "version", Type: extract.String},
		{Name: "processing_id", Type: extract.String},
		{Name: "sending_application", Type: extract.String},
		{Name: "sending_facility", Type: extract.String},
		{Name: "message_time", Type: extract.Timestamp},
		{Name: "event_time", Type: extract.Timestamp},
	}}
	PatientsSchema = extract.Schema{Entity: "patients", Fields: []extract.Field{
		{Name: "record_key", Type: extract.String},
		{Name: "nhs_number", Type: extract.String},
		{Name: "given_name", Type: extract.String},
		{Name: "family_name", Type: extract.String},
		{Name: "date_of_birth", Type: extract.Date},
		{Name: "sex", Type: extract.String},
		{Name: "postcode", Type: extract.String},
		{Name: "middle_names", Type: extract.String},
		{Name: "title", Type: extract.String},
		{Name: "address_line_1", Type: extract.String},
		{Name: "address_line_2", Type: extract.String},
		{Name: "town", Type: extract.String},
		{Name: "phone", Type: extract.String},
		{Name: "identifiers", Type: extract.StringList},
		{Name: "message_control_id", Type: extract.String},
		{Name: "message_type", Type: extract.String},
		{Name: "trigger_event", Type: extract.String},
		{Name: "message_time", Type: extract.Timestamp},
		{Name: "event_time", Type: extract.Timestamp},
	}}
	EncountersSchema = extract.Schema{Entity: "encounters", Fields: []extract.Field{
		{Name: "record_key", Type: extract.String},
		{Name: "visit_number", Type: extract.String},
		{Name: "patient_class", Type: extract.String},
		{Name: "assigned_location", Type: extract.String},
		{Name: "attending_doctor", Type: extract.String},
		{Name: "hospital_service", Type: extract.String},
		{Name: "admit_time", Type: extract.Timestamp},
		{Name: "discharge_time", Type: extract.Timestamp},
		{Name: "trigger_event", Type: extract.String},
		{Name: "message_control_id", Type: extract.String},
		{Name: "event_time", Type: extract.Timestamp},
	}}
	MergesSchema = extract.Schema{Entity: "merges", Fields: []extract.Field{
		{Name: "record_key", Type: extract.String},
		{Name: "prior_record_key", Type: extract.String},
		{Name: "prior_nhs_number", Type: extract.String},
		{Name: "trigger_event", Type: extract.String},
		{Name: "message_control_id", Type: extract.String},
		{Name: "event_time", Type: extract.Timestamp},
	}}
	ObservationsSchema = extract.Schema{Entity: "observations", Fields: []extract.Field{
		{Name: "record_key", Type: extract.String},
		{Name: "sequence", Type: extract.Int64},
		{Name: "set_id", Type: extract.String},
		{Name: "value_type", Type: extract.String},
		{Name: "identifier", Type: extract.String},
		{Name: "value", Type: extract.String},
		{Name: "units", Type: extract.String},
		{Name: "status", Type: extract.String},
		{Name: "observation_time", Type: extract.Timestamp},
		{Name: "message_control_id", Type: extract.String},
	}}
)

// mergeTriggers are the ADT events whose MRG segment says the record in MRG
// is now the record in PID.
var mergeTriggers = map[string]bool{"A18": true, "A30": true, "A34": true, "A36": true, "A39": true, "A40": true}

// Source reads HL7 v2 message files under a root directory.
type Source struct {
	root   string
	files  []string
	loc    *time.Location
	maxMsg int // MaxMessage, unless a test sets it
}

var _ extract.Source = (*Source)(nil)

// An Option configures a Source.
type Option func(*Source)

// WithLocation sets the zone in which timestamps without an offset are read
// (default Europe/London). A nil loc leaves the default.
func WithLocation(loc *time.Location) Option {
	return func(s *Source) {
		if loc != nil {
			s.loc = loc
		}
	}
}

// New returns a source for the files matching the glob patterns (slash
// separated, relative to root). It checks its arguments and opens nothing.
func New(root string, files []string, opts ...Option) (*Source, error) {
	if root == "" {
		return nil, errors.New("hl7 source: root directory is empty")
	}
	if len(files) == 0 {
		return nil, errors.New("hl7 source: no file patterns")
	}
	for _, p := range files {
		if p == "" {
			return nil, errors.New("hl7 source: empty file pattern")
		}
	}
	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		return nil, fmt.Errorf("hl7 source: loading Europe/London: %w", err)
	}
	s := &Source{root: root, files: append([]string(nil), files...), loc: loc}
	for _, o := range opts {
		o(s)
	}
	return s, nil
}

// rowSink receives the rows of one entity; *extract.EntityWriter is the
// one used in runs, the fuzz test checks the rows with its own.
type rowSink interface {
	Append(pos extract.Position, raw []byte, vals []any) error
	Reject(pos extract.Position, raw []byte, reason, msg string) error
}

// entities holds the writers of one extract.
type entities struct {
	messages, patients, encounters, merges, observations rowSink
}

// Extract lands every message of every file, file by file in lexical order.
func (s *Source) Extract(ctx context.Context, w *extract.Writer) error {
	var es entities
	for _, e := range []struct {
		sink   *rowSink
		schema extract.Schema
	}{{&es.messages, MessagesSchema}, {&es.patients, PatientsSchema}, {&es.encounters, EncountersSchema}, {&es.merges, MergesSchema}, {&es.observations, ObservationsSchema}} {
		ew, err := w.Entity(e.schema)
		if err != nil {
			return err
		}
		*e.sink = ew
	}
	files, err := extract.Glob(s.root, s.files)
	if err != nil {
		return err
	}
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := s.extractFile(ctx, w, &es, f); err != nil {
			return err
		}
	}
	return nil
}

func (s *Source) extractFile(ctx context.Context, w *extract.Writer, es *entities, rel string) (err error) {
	in, err := w.Open(s.root, rel)
	if errors.Is(err, extract.ErrAlreadyLanded) {
		return nil // unchanged since an earlier run landed it
	}
	if err != nil {
		return err
	}
	defer func() {
		if cerr := in.Close(); err == nil {
			err = cerr
		}
	}()
	// The file is read a chunk at a time, as it is cut into messages; a
	// message is landed before the next is read.
	lim := &io.LimitedReader{R: in, N: MaxFile + 1}
	sp := splitter{r: lim, max: cmp.Or(s.maxMsg, MaxMessage)}
	var m mapper
	m.loc = s.loc
	for n := int64(1); ; n++ {
		if n%256 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		raw, segs, ok := sp.next()
		if lim.N == 0 {
			return fmt.Errorf("reading %s: larger than %d bytes", rel, MaxFile)
		}
		if !ok {
			if err := sp.Err(); err != nil {
				return fmt.Errorf("reading %s: %w", rel, err)
			}
			return nil
		}
		pos := extract.Position{File: rel, N: n}
		if sp.Long() {
			if err := es.messages.Reject(pos, raw, extract.ReasonRecordTooLong, fmt.Sprintf("%s message %d: longer than %d bytes", rel, n, sp.max)); err != nil {
				return err
			}
			continue
		}
		if err := m.land(es, pos, raw, segs); err != nil {
			return err
		}
	}
}

// mapper turns parsed messages into landed rows.
type mapper struct {
	loc  *time.Location
	vals []any
}

// row returns a cleared value slice of length n.
func (m *mapper) row(n int) []any {
	if cap(m.vals) < n {
		m.vals = make([]any, n)
	}
	m.vals = m.vals[:n]
	clear(m.vals)
	return m.vals
}

// header is what a message's MSH and EVN say, repeated on its child rows.
type header struct {
	control, mtype, trigger string
	msgTime                 time.Time
	eventTime               any // time.Time or nil
}

func (m *mapper) land(es *entities, pos extract.Position, raw []byte, segs [][]byte) error {
	where := fmt.Sprintf("%s message %d", pos.File, pos.N)
	msg, err := Parse(raw, segs)
	if err != nil {
		return es.messages.Reject(pos, raw, extract.ReasonParse, where+": "+err.Error())
	}
	msh := msg.Segments[0]
	var h header
	h.mtype = msh.Field(9).Comp(1).String()
	if h.mtype == "" {
		return es.messages.Reject(pos, raw, extract.ReasonMissingField, where+": MSH-9 message type is empty")
	}
	h.control = msh.Field(10).String()
	if h.control == "" {
		return es.messages.Reject(pos, raw, extract.ReasonMissingField, where+": MSH-10 message control id is empty")
	}
	ts := msh.Field(7).Comp(1).String()
	if ts == "" {
		return es.messages.Reject(pos, raw, extract.ReasonMissingField, where+": MSH-7 message time is empty")
	}
	h.msgTime, _, err = ParseTime(ts, m.loc)
	if err != nil {
		return es.messages.Reject(pos, raw, extract.ReasonBadValue, where+": MSH-7 message time is not an HL7 timestamp")
	}
	h.trigger = msh.Field(9).Comp(2).String()
	evn, hasEVN := segment(msg, "EVN")
	if h.trigger == "" && hasEVN {
		h.trigger = evn.Field(1).String()
	}
	if hasEVN {
		h.eventTime = m.optTime(evn.Field(6))
		if h.eventTime == nil {
			h.eventTime = m.optTime(evn.Field(2))
		}
	}
	oru := h.mtype == "ORU" && h.trigger == "R01"
	if h.mtype != "ADT" && !oru {
		return es.messages.Reject(pos, raw, ReasonUnsupported, where+": message type "+safeCode(h.mtype)+"^"+safeCode(h.trigger)+" is not landed")
	}
	vals := m.row(len(MessagesSchema.Fields))
	vals[0] = h.control
	vals[1] = h.mtype
	vals[2] = strOrNil(h.trigger)
	vals[3] = strOrNil(msh.Field(9).Comp(3).String())
	vals[4] = strOrNil(msh.Field(12).Comp(1).String())
	vals[5] = strOrNil(msh.Field(11).Comp(1).String())
	vals[6] = strOrNil(hd(msh.Field(3)))
	vals[7] = strOrNil(hd(msh.Field(4)))
	vals[8] = h.msgTime
	vals[9] = h.eventTime
	if err := es.messages.Append(pos, raw, vals); err != nil {
		return err
	}

	var key any // record_key of the last PID, nil when it had none
	pids, obx := 0, 0
	for _, seg := range msg.Segments[1:] {
		switch seg.Name {
		case "PID":
			pids++
			var err error
			key, err = m.patient(es, pos, raw, where, pids, seg, &h)
			if err != nil {
				return err
			}
		case "PV1":
			if err := m.encounter(es, pos, raw, seg, key, &h); err != nil {
				return err
			}
		case "MRG":
			if h.mtype == "ADT" && mergeTriggers[h.trigger] {
				if err := m.merge(es, pos, raw, where, seg, key, &h); err != nil {
					return err
				}
			}
		case "OBX":
			if oru {
				obx++
				if err := m.observation(es, pos, raw, seg, key, obx, &h); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func segment(m *Message, name string) (Segment, bool) {
	for _, s := range m.Segments {
		if s.Name == name {
			return s, true
		}
	}
	return Segment{}, false
}

// ident is one CX identifier.
type ident struct {
	value, typ, authority string
	nhs                   bool
}

// nhsOID is the OID of the NHS number in England and Wales.
const nhsOID = "2.16.840.1.113883.2.1.4.1"

func cx(v Value) ident {
	id := ident{value: v.Comp(1).String(), typ: v.Comp(5).String()}
	auth := v.Comp(4)
	id.authority = auth.Sub(1).String()
	oid := auth.Sub(2).String()
	if id.authority == "" {
		id.authority = oid
	}
	id.nhs = strings.EqualFold(id.typ, "NH") || strings.EqualFold(id.authority, "NHS") || oid == nhsOID
	return id
}

// identifiers reads a repeating CX field, skipping repetitions with no value.
func identifiers(f Value) []ident {
	var out []ident
	for _, r := range f.Reps() {
		if id := cx(r); id.value != "" {
			out = append(out, id)
		}
	}
	return out
}

// recordKey picks the hospital number: the identifier typed MR, else the
// first that is not the NHS number.
func recordKey(ids []ident) string {
	for _, id := range ids {
		if strings.EqualFold(id.typ, "MR") && !id.nhs {
			return id.value
		}
	}
	for _, id := range ids {
		if !id.nhs {
			return id.value
		}
	}
	return ""
}

func nhsNumber(ids []ident) string {
	for _, id := range ids {
		if id.nhs {
			return id.value
		}
	}
	return ""
}

// looksLikeNHS reports whether an untyped identifier is ten digits, spaces
// and hyphens aside.
func looksLikeNHS(s string) bool {
	n := 0
	for _, c := range s {
		switch {
		case c >= '0' && c <= '9':
			n++
		case c == ' ' || c == '-':
		default:
			return false
		}
	}
	return n == 10
}

func (m *mapper) patient(es *entities, pos extract.Position, raw []byte, where string, k int, pid Segment, h *header) (any, error) {
	ids := identifiers(pid.Field(3))
	if len(ids) == 0 {
		return nil, es.patients.Reject(pos, raw, extract.ReasonMissingField, fmt.Sprintf("%s: PID %d: PID-3 holds no identifier", where, k))
	}
	key := recordKey(ids)
	if key == "" {
		return nil, es.patients.Reject(pos, raw, extract.ReasonMissingField, fmt.Sprintf("%s: PID %d: PID-3 holds only the NHS number, no hospital identifier", where, k))
	}
	nhs := nhsNumber(ids)
	if nhs == "" {
		if p2 := cx(pid.Field(2).Rep(1)); p2.value != "" && (p2.nhs || (p2.typ == "" && p2.authority == "" && looksLikeNHS(p2.value))) {
			nhs = p2.value
		}
	}
	list := make([]string, len(ids))
	for i, id := range ids {
		list[i] = id.value + "^" + id.typ + "^" + id.authority
	}
	name := pid.Field(5).Rep(1)
	addr := pid.Field(11).Rep(1)
	vals := m.row(len(PatientsSchema.Fields))
	vals[0] = key
	vals[1] = strOrNil(nhs)
	vals[2] = strOrNil(name.Comp(2).String())
	vals[3] = strOrNil(name.Comp(1).Sub(1).String())
	vals[4] = m.optDate(pid.Field(7))
	vals[5] = strOrNil(pid.Field(8).Comp(1).String())
	vals[6] = strOrNil(addr.Comp(5).String())
	vals[7] = strOrNil(name.Comp(3).String())
	vals[8] = strOrNil(name.Comp(5).String())
	vals[9] = strOrNil(joinSubs(addr.Comp(1)))
	vals[10] = strOrNil(addr.Comp(2).String())
	vals[11] = strOrNil(addr.Comp(3).String())
	vals[12] = strOrNil(phone(pid.Field(13).Rep(1)))
	vals[13] = list
	vals[14] = h.control
	vals[15] = h.mtype
	vals[16] = strOrNil(h.trigger)
	vals[17] = h.msgTime
	vals[18] = h.eventTime
	return key, es.patients.Append(pos, raw, vals)
}

func (m *mapper) encounter(es *entities, pos extract.Position, raw []byte, pv1 Segment, key any, h *header) error {
	vals := m.row(len(EncountersSchema.Fields))
	vals[0] = key
	vals[1] = strOrNil(pv1.Field(19).Rep(1).Comp(1).String())
	vals[2] = strOrNil(pv1.Field(2).Comp(1).String())
	vals[3] = strOrNil(pv1.Field(3).Rep(1).Render())
	vals[4] = strOrNil(xcn(pv1.Field(7).Rep(1)))
	vals[5] = strOrNil(pv1.Field(10).Rep(1).Comp(1).String())
	vals[6] = m.optTime(pv1.Field(44))
	vals[7] = m.optTime(pv1.Field(45).Rep(1))
	vals[8] = strOrNil(h.trigger)
	vals[9] = h.control
	vals[10] = h.eventTime
	return es.encounters.Append(pos, raw, vals)
}

func (m *mapper) merge(es *entities, pos extract.Position, raw []byte, where string, mrg Segment, key any, h *header) error {
	if key == nil {
		return es.merges.Reject(pos, raw, extract.ReasonMissingField, where+": MRG has no surviving record_key (no usable PID-3 before it)")
	}
	ids := identifiers(mrg.Field(1))
	prior := recordKey(ids)
	if prior == "" {
		return es.merges.Reject(pos, raw, extract.ReasonMissingField, where+": MRG-1 holds no hospital identifier")
	}
	vals := m.row(len(MergesSchema.Fields))
	vals[0] = key
	vals[1] = prior
	vals[2] = strOrNil(nhsNumber(ids))
	vals[3] = strOrNil(h.trigger)
	vals[4] = h.control
	vals[5] = h.eventTime
	return es.merges.Append(pos, raw, vals)
}

func (m *mapper) observation(es *entities, pos extract.Position, raw []byte, obx Segment, key any, k int, h *header) error {
	id := obx.Field(3).Rep(1)
	vals := m.row(len(ObservationsSchema.Fields))
	vals[0] = key
	vals[1] = int64(k)
	vals[2] = strOrNil(obx.Field(1).String())
	vals[3] = strOrNil(obx.Field(2).Comp(1).String())
	if code, text, sys := id.Comp(1).String(), id.Comp(2).String(), id.Comp(3).String(); code != "" || text != "" || sys != "" {
		vals[4] = code + "^" + text + "^" + sys
	}
	vals[5] = strOrNil(obx.Field(5).Render())
	vals[6] = strOrNil(obx.Field(6).Comp(1).String())
	vals[7] = strOrNil(obx.Field(11).Comp(1).String())
	vals[8] = m.optTime(obx.Field(14))
	vals[9] = h.control
	return es.observations.Append(pos, raw, vals)
}

// optTime reads an optional timestamp: empty or unparseable gives nil.
func (m *mapper) optTime(f Value) any {
	s := f.Comp(1).String()
	if s == "" {
		return nil
	}
	t, _, err := ParseTime(s, m.loc)
	if err != nil {
		return nil
	}
	return t
}

// optDate reads an optional date as written: empty, partial (year or month
// only) or unparseable gives nil.
func (m *mapper) optDate(f Value) any {
	s := f.Comp(1).String()
	if s == "" {
		return nil
	}
	d, err := ParseDate(s)
	if err != nil {
		return nil
	}
	return d
}

// hd reads a hierarchic designator: its namespace id, else its universal id.
func hd(f Value) string {
	if s := f.Comp(1).String(); s != "" {
		return s
	}
	return f.Comp(2).String()
}

// xcn renders a person as "id^family^given".
func xcn(v Value) string {
	id, fam, given := v.Comp(1).String(), v.Comp(2).Sub(1).String(), v.Comp(3).String()
	if id == "" && fam == "" && given == "" {
		return ""
	}
	return id + "^" + fam + "^" + given
}

// phone reads an XTN: the v2.3 telephone number (XTN.1), else country, area
// and local number (XTN.5-7), else the e-mail address (XTN.4), else the
// unformatted number (XTN.12).
func phone(v Value) string {
	if s := v.Comp(1).String(); s != "" {
		return s
	}
	var parts []string
	for _, i := range []int{5, 6, 7} {
		if s := v.Comp(i).String(); s != "" {
			parts = append(parts, s)
		}
	}
	if len(parts) > 0 {
		if ext := v.Comp(8).String(); ext != "" {
			parts = append(parts, "x"+ext)
		}
		return strings.Join(parts, " ")
	}
	if s := v.Comp(4).String(); s != "" {
		return s
	}
	return v.Comp(12).String()
}

// joinSubs joins the non-empty subcomponents of a component with spaces
// (XAD.1 is a SAD: street, street name, dwelling number).
func joinSubs(v Value) string {
	if v.Empty() {
		return ""
	}
	var parts []string
	for _, sub := range bytes.Split(v.raw, []byte{v.d.Subcomponent}) {
		if t := (Value{raw: sub, d: v.d, present: true}).String(); t != "" {
			parts = append(parts, t)
		}
	}
	return strings.Join(parts, " ")
}

func strOrNil(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// safeCode returns a message type or trigger code for a reject message, or
// "?" when it is not a short code (so that nothing else is ever quoted).
func safeCode(s string) string {
	if s == "" || len(s) > 8 {
		return "?"
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !letterOrDigit(c) && c != '_' {
			return "?"
		}
	}
	return s
}
