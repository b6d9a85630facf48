package idfile

import (
	"bytes"
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
	var hi, lo uint64
	for i := range half {
		c, d := b[i]-'0', b[half+i]-'0'
		if c > 9 || d > 9 {
			return idtypes.ID{}, false
		}
		hi = hi*10 + uint64(c)
		lo = lo*10 + uint64(d)
	}
	if hi > math.MaxInt64 || lo > math.MaxInt64 {
		return idtypes.ID{}, false
	}
	id, err := idtypes.FromHalves(ns, hi, lo)
	return id, err == nil
}

// maxCachedCodes bounds the namespace codes a textParser remembers.
const maxCachedCodes = 64

// textParser parses "NS:value" text as idtypes.ParseText does, remembering
// the namespace codes it has seen so that it does not allocate for them.
type textParser struct {
	codes map[string]idtypes.Namespace // code as written, trimmed -> namespace
}

func (p *textParser) parse(b []byte) (idtypes.ID, error) {
	code, value, ok := bytes.Cut(b, []byte(":"))
	if ok {
		code = trimSpace(code)
		if ns, ok := p.codes[string(code)]; ok {
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
