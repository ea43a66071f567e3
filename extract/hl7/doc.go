// Package hl7 lands HL7 v2 ADT and ORU^R01 message files, such as an acute
// hospital PAS feed, in the Parquet landing zone.
//
// # Input
//
// Files (at most MaxFile bytes) are read a chunk at a time and cut into
// messages as they are read, so memory follows the largest message, at
// most MaxMessage bytes, not the largest file: MLLP framed (0x0B … 0x1C
// 0x0D), one message a file, or several back to back, a new message
// starting at each MSH at the start of a segment. Segments end in CR, LF
// or CRLF. Batch envelopes (FHS, BHS, BTS, FTS) are skipped
// and not counted; blank lines, leading spaces and a UTF-8 byte-order mark
// are ignored. Each message's delimiters come from its MSH-1 and MSH-2;
// escape sequences (\F\ \S\ \T\ \R\ \E\ \Xhh\ \.br\) are decoded, and text
// that is not valid UTF-8 is read as ISO 8859-1. The parser is this
// package's own (Parse, ParseTime).
//
// # Landed entities
//
// The position of every row is the message's number in its file (1-based)
// and its raw bytes are the whole message, so all the rows of one message
// share a record hash.
//
//   - messages: one row per message of a landed type (ADT, any trigger, and
//     ORU^R01): control id (MSH-10), type, trigger and structure (MSH-9; the
//     trigger falls back on EVN-1), version, processing id, sending
//     application and facility, message_time (MSH-7) and event_time (EVN-6,
//     else EVN-2).
//   - patients: one row per PID, the person-level contract: record_key (the
//     PID-3 identifier typed MR, else the first that is not the NHS
//     number), nhs_number (the PID-3 identifier typed NH or assigned by NHS
//     or the NHS number OID, else PID-2 when it is one; as written),
//     given_name, family_name (first PID-5 repetition), date_of_birth
//     (PID-7), sex (PID-8 as coded), postcode (first PID-11, XAD.5), and
//     middle_names, title, address lines, town, phone (first PID-13), every
//     PID-3 identifier as "value^type^authority", and the message's ids and
//     times.
//   - encounters: one row per PV1, with the record_key of the PID before it
//     (null when that PID was rejected): visit number (PV1-19), class,
//     location rendered as a string, attending doctor as "id^family^given",
//     hospital service, admit and discharge times (PV1-44, PV1-45).
//   - merges: one row per MRG in ADT A18, A30, A34, A36, A39 and A40: the
//     surviving record_key (from PID), the prior one and its NHS number
//     (from MRG-1). MRG in other events (A41 account merge, A47 identifier
//     change) is not landed as a merge.
//   - observations: one row per OBX of ORU^R01, numbered in the message
//     (sequence), with identifier "code^text^system", value as a string
//     (components joined with ^) and observation_time (OBX-14).
//
// Timestamps without an offset are read in the source's zone (Europe/London
// unless WithLocation says otherwise) and land in UTC. Dates of birth land
// as written, ignoring any time and offset.
//
// # Rejects
//
// Every message is landed or rejected in entity messages with a reason:
// parse_error (no MSH first, unusable MSH-1/MSH-2 delimiters, a segment
// whose name is not three upper-case letters or digits), missing_field
// (MSH-7, MSH-9 or MSH-10 empty), bad_value (MSH-7 not an HL7 timestamp),
// unsupported_message (a well-formed message of another type: SIU, MDM,
// ORM, …) or record_too_long (a message which, with the blank lines after
// it, is over MaxMessage bytes; its start is its raw record, as much of
// it as any reject keeps, and the rest of it is read past without being
// held). Segments
// before any MSH make one rejected message. A rejected message lands
// nothing else. Within a landed message, a PID with no PID-3
// identifier, or only the NHS number, is rejected in patients
// (missing_field), and an MRG without a surviving or prior hospital number
// is rejected in merges. Reject messages name the file, the message number
// and the field, never a value. An unreadable file fails the run.
//
// # Quirks
//
// Optional times and dates that do not parse (EVN, PV1-44/45, OBX-14, a
// partial or impossible date of birth) land as null rather than losing the
// row; the raw message keeps what was written. The explicit null `""` lands
// as null. Values are trimmed of surrounding spaces. The same patient
// appears once per message that carries them: choosing the latest
// demographics (by message_time) is the transform's job.
package hl7
