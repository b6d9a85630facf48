package reconcile

import (
	"crypto/sha256"
	"encoding/hex"
	"math/rand/v2"
	"strconv"

	"github.com/idbits/idbits/idtypes"
)

// mixedIDs returns n distinct identifiers, the same for the same n and seed:
// half ECIDs (idtypes.FromHalves of random halves), a quarter CRM IDs
// ("CRM" and a number) and a quarter hashed emails (the SHA-256 hex of an
// address, parsed as EmailSHA256), shuffled together.
func mixedIDs(n int, seed uint64) []idtypes.ID {
	r := rand.New(rand.NewPCG(seed, 0x1d_b175))
	ids := make([]idtypes.ID, 0, n)
	var hexBuf [64]byte
	for i := range n {
		var id idtypes.ID
		var err error
		switch i % 4 {
		case 0, 1:
			id, err = idtypes.FromHalves(idtypes.ECID, r.Uint64()>>1, r.Uint64()>>1)
		case 2:
			id, err = idtypes.Parse(idtypes.CRMID, "CRM"+strconv.Itoa(i))
		case 3:
			sum := sha256.Sum256([]byte("user" + strconv.Itoa(i) + "@example.com"))
			hex.Encode(hexBuf[:], sum[:])
			id, err = idtypes.Parse(idtypes.EmailSHA256, string(hexBuf[:]))
		}
		if err != nil {
			panic(err) // the generator is wrong: fail loudly in tests and benchmarks
		}
		ids = append(ids, id)
	}
	r.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
	return ids
}
