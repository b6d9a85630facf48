package idfile

import (
	"bytes"
	"fmt"
	"io"
	"iter"
	"strconv"

	"github.com/idbits/idbits/idtypes"
)

// Trait names an Audience Manager trait or segment: by its numeric ID, or,
// in inbound files, by an integration code (the "ic=" form). Traits are
// comparable and can be map keys.
type Trait struct {
	ID   uint64 // the trait or segment ID; zero when Code is set
	Code string // the integration code of an "ic=" trait; empty when ID is set
}

// String returns the ID in decimal, or "ic=" and the code.
func (t Trait) String() string {
	if t.Code != "" {
		return "ic=" + t.Code
	}
	return strconv.FormatUint(t.ID, 10)
}

// Update is one line of an Audience Manager file: a user and the traits or
// segments the line adds and removes.
type Update struct {
	N       int        // 1-based line number
	User    idtypes.ID // always valid
	Added   []Trait    // traits (inbound) or current segments (outbound), in the order of the line
	Removed []Trait    // traits or segments removed; always empty when reading an overwrite file
}

// AAMOptions configure [ReadAAMInbound] and [ReadAAMOutbound].
type AAMOptions struct {
	// Namespace is the namespace of the user IDs: AAMUUID (the default,
	// when zero), ECID, a device namespace (IDFA, GAID) or the namespace
	// of a data source's DPUUIDs (CRMID or a custom one).
	Namespace idtypes.Namespace
	// Overwrite says an inbound file is a ".overwrite" file, whose lines
	// replace the listed users' traits: removals (d_unsid=, ":0", ":-1")
	// mean nothing there and are dropped. Outbound reading ignores it.
	Overwrite bool
	// MaxLine is the longest line read, in bytes without its ending; zero
	// means AAMMaxLine for inbound files and DefaultMaxLine for outbound ones.
	MaxLine int
}

func (o *AAMOptions) namespace() idtypes.Namespace {
	if o.Namespace == 0 {
		return idtypes.AAMUUID
	}
	return o.Namespace
}

// ReadAAMInbound returns the lines of an Audience Manager inbound trait
// file (".sync" or ".overwrite"), in order. A line is a user ID, exactly one
// TAB, and traits separated by commas (spaces around them are ignored):
//
//	59767559181262060060278870901087098252	d_sid=24,d_sid=26,d_unsid=28
//	59767559181262060060278870901087098252	24, 26, 28:0, 29:-1, ic=loyal
//
// "d_sid=N", a bare "N" and "ic=CODE" add a trait; "d_unsid=N", "N:0" and
// "N:-1" remove one. Other key-value signals are not supported and are
// reported as ErrFormat. Empty items (a trailing comma) are ignored, and a
// line with no traits at all is an Update with none: in an overwrite file it
// clears the user's traits. Blank lines are skipped; a UTF-8 byte order mark
// at the start is ignored.
//
// A line without exactly one TAB, with a user ID that does not parse, or
// longer than opts.MaxLine yields a zero Update and a *LineError. A line
// with some bad traits yields a *LineError for each (its Field is the
// trait) and then the Update of the good ones, unless none is good. A read
// error ends the iteration with that error. The iteration reads r once, as
// it goes, and holds at most about opts.MaxLine bytes of input.
func ReadAAMInbound(r io.Reader, opts AAMOptions) iter.Seq2[Update, error] {
	return readAAM(r, maxLine(opts.MaxLine, AAMMaxLine), opts.namespace(), func(a *aamReader, l *line) {
		a.inbound(l, opts.Overwrite)
	})
}

// ReadAAMOutbound returns the lines of an Audience Manager outbound batch
// file in its default layout, in order: a user ID, a space, the user's
// current segments, a space, and the segments removed since the last file,
// both lists numeric and comma-separated, either possibly empty:
//
//	59767559181262060060278870901087098252 24,26,27 25,28
//
// The removed list and the space before it may be left out. Errors are
// reported as [ReadAAMInbound] does.
func ReadAAMOutbound(r io.Reader, opts AAMOptions) iter.Seq2[Update, error] {
	return readAAM(r, maxLine(opts.MaxLine, DefaultMaxLine), opts.namespace(), (*aamReader).outbound)
}

func readAAM(r io.Reader, max int, ns idtypes.Namespace, parse func(*aamReader, *line)) iter.Seq2[Update, error] {
	return func(yield func(Update, error) bool) {
		lr := newLineReader(r, max)
		a := aamReader{ns: ns}
		for {
			l, err := lr.next()
			if err == io.EOF {
				return
			}
			if err != nil {
				yield(Update{}, readError(lr, err))
				return
			}
			if l.tooLong {
				if !yield(Update{}, lineError(&l, "", ErrLineTooLong)) {
					return
				}
				continue
			}
			if len(trimSpace(l.text)) == 0 {
				continue
			}
			a.errs, a.bad, a.items = a.errs[:0], false, 0
			a.upd = Update{N: l.n}
			parse(&a, &l)
			for _, err := range a.errs {
				if !yield(Update{}, err) {
					return
				}
			}
			if a.bad {
				continue
			}
			if len(a.upd.Added)+len(a.upd.Removed) == 0 && a.items > 0 {
				continue // every trait was bad
			}
			if !yield(a.upd, nil) {
				return
			}
		}
	}
}

type aamReader struct {
	ns    idtypes.Namespace
	upd   Update
	errs  []error
	bad   bool // the whole line is bad
	items int  // traits or segments on the line, good or bad
}

func (a *aamReader) fail(l *line, field string, err error) {
	a.errs = append(a.errs, lineError(l, field, err))
}

// user parses the user ID; it reports false if the line is bad.
func (a *aamReader) user(l *line, b []byte) bool {
	id, err := parseValue(a.ns, b)
	if err != nil {
		a.fail(l, "user", err)
		a.bad = true
		return false
	}
	a.upd.User = id
	return true
}

func (a *aamReader) inbound(l *line, overwrite bool) {
	user, traits, ok := bytes.Cut(l.text, []byte("\t"))
	if !ok {
		a.fail(l, "", fmt.Errorf("%w: no TAB between the user ID and the traits", ErrFormat))
		a.bad = true
		return
	}
	if bytes.IndexByte(traits, '\t') >= 0 {
		a.fail(l, "", fmt.Errorf("%w: more than one TAB", ErrFormat))
		a.bad = true
		return
	}
	if !a.user(l, user) {
		return
	}
	for item := range bytes.SplitSeq(traits, []byte(",")) {
		item = trimSpace(item)
		if len(item) == 0 {
			continue
		}
		a.items++
		t, remove, err := parseTrait(item)
		switch {
		case err != nil:
			a.fail(l, cut(item), err)
		case remove && overwrite:
		case remove:
			a.upd.Removed = append(a.upd.Removed, t)
		default:
			a.upd.Added = append(a.upd.Added, t)
		}
	}
}

// parseTrait parses one inbound trait item.
func parseTrait(item []byte) (t Trait, remove bool, err error) {
	if key, val, ok := bytes.Cut(item, []byte("=")); ok {
		key, val = unquote(trimSpace(key)), trimSpace(val)
		switch {
		case bytes.EqualFold(key, []byte("d_sid")):
		case bytes.EqualFold(key, []byte("d_unsid")):
			remove = true
		case bytes.EqualFold(key, []byte("ic")):
			val = unquote(val)
			if len(val) == 0 {
				return Trait{}, false, fmt.Errorf("%w: empty integration code", ErrFormat)
			}
			return Trait{Code: string(val)}, false, nil
		default:
			return Trait{}, false, fmt.Errorf("%w: unsupported key-value signal %q", ErrFormat, cut(key))
		}
		id, err := parseSID(val)
		return Trait{ID: id}, remove, err
	}
	if num, suffix, ok := bytes.Cut(item, []byte(":")); ok {
		suffix = trimSpace(suffix)
		if !bytes.Equal(suffix, []byte("0")) && !bytes.Equal(suffix, []byte("-1")) {
			return Trait{}, false, fmt.Errorf("%w: trait suffix %q is not :0 or :-1", ErrFormat, cut(suffix))
		}
		item, remove = trimSpace(num), true
	}
	id, err := parseSID(item)
	return Trait{ID: id}, remove, err
}

// unquote removes one pair of double quotes around b.
func unquote(b []byte) []byte {
	if len(b) >= 2 && b[0] == '"' && b[len(b)-1] == '"' {
		return b[1 : len(b)-1]
	}
	return b
}

// parseSID parses a trait or segment ID: a positive decimal number.
func parseSID(b []byte) (uint64, error) {
	if len(b) == 0 {
		return 0, fmt.Errorf("%w: empty trait ID", ErrFormat)
	}
	var n uint64
	for _, c := range b {
		d := c - '0'
		if d > 9 {
			return 0, fmt.Errorf("%w: trait ID %q is not a number", ErrFormat, cut(b))
		}
		if n > (1<<64-1-uint64(d))/10 {
			return 0, fmt.Errorf("%w: trait ID %q is out of range", ErrFormat, cut(b))
		}
		n = n*10 + uint64(d)
	}
	if n == 0 {
		return 0, fmt.Errorf("%w: trait ID 0", ErrFormat)
	}
	return n, nil
}

func (a *aamReader) outbound(l *line) {
	text := bytes.TrimRight(l.text, " \t")
	user, rest, _ := bytes.Cut(text, []byte(" "))
	current, removed, _ := bytes.Cut(rest, []byte(" "))
	if bytes.IndexByte(removed, ' ') >= 0 {
		a.fail(l, "", fmt.Errorf("%w: more than three space-separated fields", ErrFormat))
		a.bad = true
		return
	}
	if !a.user(l, user) {
		return
	}
	a.upd.Added = a.segments(l, current, a.upd.Added)
	a.upd.Removed = a.segments(l, removed, a.upd.Removed)
}

// segments appends the segments of a comma-separated list to dst.
func (a *aamReader) segments(l *line, list []byte, dst []Trait) []Trait {
	for item := range bytes.SplitSeq(list, []byte(",")) {
		if len(item) == 0 {
			continue
		}
		a.items++
		id, err := parseSID(item)
		if err != nil {
			a.fail(l, cut(item), err)
			continue
		}
		dst = append(dst, Trait{ID: id})
	}
	return dst
}
