package idfile

import (
	"bytes"
	"encoding/binary"
	"math"

	"github.com/idbits/idbits/idtypes"
)

// parseValue parses b as a value of ns, as idtypes.Parse(ns, string(b))
// does. ECIDs and AAM UUIDs take a path that does not allocate; everything
// else, and every failure, goes through idtypes.Parse, so results and errors
// are always those of idtypes.
func parseValue(ns idtypes.Namespace, b []byte) (idtypes.ID, error) {
	if ns == idtypes.ECID || ns == idtypes.AAMUUID {
		if id, ok := parseHalves(ns, trimSpace(b)); ok {
			return id, nil
		}
	}
	return idtypes.Parse(ns, string(b))
}

// parseHalves parses 38 digits whose 19-digit halves are each at most
// 2^63-1. It reports false for anything else.
func parseHalves(ns idtypes.Namespace, b []byte) (idtypes.ID, bool) {
	const half = 19
	if len(b) != 2*half {
		return idtypes.ID{}, false
	}
	hi, ok1 := parseHalf(b[:half])
	lo, ok2 := parseHalf(b[half:])
	if !ok1 || !ok2 || hi > math.MaxInt64 || lo > math.MaxInt64 {
		return idtypes.ID{}, false
	}
	id, err := idtypes.FromHalves(ns, hi, lo)
	return id, err == nil
}

// parseHalf parses the 19 decimal digits of b[:19], eight at a time. The
// value fits a uint64: 10^19-1 < 2^64.
func parseHalf(b []byte) (uint64, bool) {
	_ = b[18]
	x, ok1 := parse8(binary.LittleEndian.Uint64(b[0:8]))
	y, ok2 := parse8(binary.LittleEndian.Uint64(b[8:16]))
	c, d, e := b[16]-'0', b[17]-'0', b[18]-'0'
	if !ok1 || !ok2 || c > 9 || d > 9 || e > 9 {
		return 0, false
	}
	return x*1e11 + y*1e3 + uint64(c)*100 + uint64(d)*10 + uint64(e), true
}

// parse8 parses eight ASCII decimal digits loaded little-endian (the first
// digit in the low byte), and reports false if any byte is not a digit.
func parse8(v uint64) (uint64, bool) {
	const (
		ones  = 0x0101010101010101
		zeros = 0x30 * ones
	)
	// Every byte is 0x30-0x39: its high nibble is 3, and adding 6 keeps it 3.
	if v&(0xf0*ones) != zeros || (v+6*ones)&(0xf0*ones) != zeros {
		return 0, false
	}
	v -= zeros
	v = (v * 10) + (v >> 8) // pairs of digits, in every other byte
	v = (v&0x000000ff000000ff)*(100+1000000<<32) + (v>>16&0x000000ff000000ff)*(1+10000<<32)
	return v >> 32, true
}

// maxCachedCodes bounds the namespace codes a textParser remembers.
const maxCachedCodes = 64

// textParser parses "NS:value" text as idtypes.ParseText does, remembering
// the namespace codes it has seen so that it does not allocate for them.
type textParser struct {
	codes map[string]idtypes.Namespace // code as written, trimmed -> namespace
	// last is the code of the last line that went through codes, and
	// lastNS its namespace: most files use one namespace throughout, and a
	// line starting with last and a colon needs neither bytes.Cut nor the
	// map.
	last   []byte
	lastNS idtypes.Namespace
}

func (p *textParser) parse(b []byte) (idtypes.ID, error) {
	// last holds no colon and no surrounding space, so b's first colon
	// follows it and its trimmed code is last itself, as below.
	if n := len(p.last); n > 0 && len(b) > n && b[n] == ':' && string(b[:n]) == string(p.last) {
		value := b[n+1:]
		if len(value) == 38 && (p.lastNS == idtypes.ECID || p.lastNS == idtypes.AAMUUID) {
			// The common line, "ECID:" and 38 digits: what parseValue
			// would do first, without trimming.
			if id, ok := parseHalves(p.lastNS, value); ok {
				return id, nil
			}
		}
		return parseValue(p.lastNS, value)
	}
	code, value, ok := bytes.Cut(b, []byte(":"))
	if ok {
		code = trimSpace(code)
		if ns, ok := p.codes[string(code)]; ok {
			p.last, p.lastNS = append(p.last[:0], code...), ns
			return parseValue(ns, value)
		}
	}
	id, err := idtypes.ParseText(string(b))
	if err == nil && len(p.codes) < maxCachedCodes {
		if p.codes == nil {
			p.codes = make(map[string]idtypes.Namespace)
		}
		p.codes[string(code)] = id.Namespace()
	}
	return id, err
}
