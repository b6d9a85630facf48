// Package idfile reads and writes the identifier files users hand the
// project: plain lists, CSV files, Experience Platform XDM identityMap JSON
// lines, and Audience Manager inbound and outbound batch files. It turns
// their lines into [idtypes.ID] values and says precisely what is wrong
// with the lines it cannot read, so that the import and export flows of
// package reconcile can count and show them.
//
// # Formats
//
// A plain list ([ReadList], [WriteList]) has one identifier per line, as
// "NS:value" or, when the caller gives the namespace, as a bare value.
// Blank lines and lines starting with '#' are skipped:
//
//	# visitors of the spring campaign
//	ECID:20265673158980419722735089753036633573
//	CRMID:2132-3423vn-343fds-3432r
//
// A CSV file ([ReadCSV], [WriteCSV]) has a header; the identifier column is
// headed by its namespace code (or named by the caller), other columns are
// ignored, and fields are quoted as RFC 4180 has them. A delta file adds a
// segmentMembershipStatus column whose values are realized (or existing)
// and exited:
//
//	ECID,segmentMembershipStatus
//	20265673158980419722735089753036633573,realized
//	08382830887934830189014177072406221371,exited
//
// An XDM file ([ReadXDM]) has one JSON record per line, identities seen
// together at one time, as Experience Platform exports them:
//
//	{"timestamp":"2026-05-01T10:00:00Z","identityMap":{"ecid":[{"id":"20265673158980419722735089753036633573"}],"CRMID":[{"id":"u-1","authenticatedState":"authenticated","primary":true}]}}
//
// An Audience Manager inbound trait file ([ReadAAMInbound], ".sync" or
// ".overwrite") has a user ID, one TAB and the traits added or removed; an
// outbound file ([ReadAAMOutbound]) has a user ID, its current segments and
// the segments removed, separated by spaces:
//
//	59767559181262060060278870901087098252	d_sid=24,d_sid=26,d_unsid=28
//	59767559181262060060278870901087098252 24,26,27 25,28
//
// Every reader accepts lines ending in "\n" or "\r\n", a last line without
// an ending, and a UTF-8 byte order mark at the start.
//
// # Writing files
//
// [WriteFile] writes any of the formats to a file and returns its SHA-256;
// [Outputs] stages the files of one run so that they all change at its end
// ([Outputs.Commit]) or none does ([Outputs.Abort]). WriteFile is an Outputs
// of one file. Writing never destroys what the name stands for:
//
//   - a regular file, or a new name in an existing folder, is replaced
//     atomically: a temporary file ".NAME.*.tmp" next to it is written,
//     synced and renamed over it, and the folder is synced;
//   - a symbolic link stays a link, and the file it leads to is replaced;
//   - a device, a named pipe or a socket is written through as a stream,
//     never replaced, from a copy staged in the temporary folder, so that a
//     failed run sends it nothing: /dev/null discards, a pipe receives the
//     bytes;
//   - /dev/stdout, /dev/stderr and /dev/fd/N write to that descriptor of
//     the process, wherever it leads;
//   - a directory, or a name in a missing folder, is an error, reported by
//     Write before any output of the run is committed.
//
// A failed or aborted run removes its temporary files. The zero Outputs is
// ready to use, and safe for concurrent use: a signal handler may Abort it
// while the run writes.
//
// # Streaming and memory
//
// Readers return single-use iterators that read their input once, as the
// caller ranges over them, and stop reading when the loop stops. They hold
// one line at a time (a CSV row whose quoted field spans lines, and the
// lines after a bad one of those, at most a few lines' worth), so memory is
// bounded by the MaxLine option: [DefaultMaxLine] (1 MiB) by default,
// [AAMMaxLine] (102400 bytes, Audience Manager's own limit) for inbound
// trait files. A longer line is reported and skipped; reading goes on.
// Reading a plain list or CSV column of ECIDs or AAM UUIDs does not
// allocate per line, and no value a reader yields refers to its buffers.
//
// # Errors
//
// A reader delivers each bad line (or bad identity, or bad trait) as a
// *[LineError] in place of a value and goes on reading; it carries the line
// number, the byte offset, the part of the line at fault and the start of
// the line's text. Its reason matches with errors.Is: this package's
// [ErrLineTooLong], [ErrFormat], [ErrQuote] and [ErrTimestamp], or, for an
// identifier that does not parse, the idtypes reasons (idtypes.ErrSyntax,
// ErrRange, ErrBlocked, ErrTooLong, ErrNamespace). Any other error ends the
// iteration: a read error, or [ErrHeader] for a CSV header without a usable
// identifier column. So a caller writes:
//
//	for ln, err := range idfile.ReadList(f, opts) {
//		var le *idfile.LineError
//		if errors.As(err, &le) {
//			rejected++ // count le.Err, keep le for the report
//			continue
//		}
//		if err != nil {
//			return err
//		}
//		use(ln.ID)
//	}
//
// Writers stop at the first error; [ErrUnwritable] marks an identifier the
// format cannot carry so that it reads back the same.
//
// # Zero values and concurrency
//
// The zero value of each options struct gives the defaults described on it.
// The zero [Status] and [AuthState] mean the file did not say. Readers and
// writers keep no state between calls, so any number may run at once, each
// on its own reader or writer. An iterator is not safe for concurrent use.
package idfile
