package idtypes_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/idbits/idbits/idtypes"
)

func ExampleParse() {
	for _, in := range []string{
		"08382830887934830189014177072406221371", // leading zeros are kept
		" 20265673158980419722735089753036633573\n",
		"2026567315898041972273508975303663357",  // 37 digits
		"99999999999999999999999999999999999999", // halves above 2^63-1
		"null",
	} {
		id, err := idtypes.Parse(idtypes.ECID, in)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(id)
	}
	// Output:
	// 08382830887934830189014177072406221371
	// 20265673158980419722735089753036633573
	// idtypes: parse ECID "2026567315898041972273508975303663357": invalid syntax
	// idtypes: parse ECID "99999999999999999999999999999999999999": value out of range
	// idtypes: parse ECID "null": blocked value
}

func ExampleParse_normalization() {
	fmt.Println(idtypes.MustParse(idtypes.IDFA, "b56e68ec-34ed-46d5-af0c-1d2401f676c9"))
	fmt.Println(idtypes.MustParse(idtypes.GAID, "38400000-8CF0-11BD-B23E-10B96E40000D"))
	fmt.Println(idtypes.MustParse(idtypes.Email, " John.Doe@Example.com "))
	fmt.Println(idtypes.MustParse(idtypes.Phone, "+1 (415) 555-2671"))
	fmt.Println(idtypes.MustParse(idtypes.CRMID, "Cust-0042"))
	// Output:
	// B56E68EC-34ED-46D5-AF0C-1D2401F676C9
	// 38400000-8cf0-11bd-b23e-10b96e40000d
	// john.doe@example.com
	// +14155552671
	// Cust-0042
}

func ExampleParseError() {
	_, err := idtypes.Parse(idtypes.GAID, "00000000-0000-0000-0000-000000000000")
	if errors.Is(err, idtypes.ErrBlocked) {
		fmt.Println("tracking disabled:", err)
	}
	var pe *idtypes.ParseError
	if errors.As(err, &pe) {
		fmt.Println(pe.Namespace, pe.Input)
	}
	// Output:
	// tracking disabled: idtypes: parse GAID "00000000-0000-0000-0000-000000000000": blocked value
	// GAID 00000000-0000-0000-0000-000000000000
}

func ExamplePlaceholders() {
	for ns, v := range idtypes.Placeholders() {
		fmt.Println(ns, v)
	}
	_, err := idtypes.HashEmail(" Test@Test.com ")
	fmt.Println(errors.Is(err, idtypes.ErrPlaceholder), errors.Is(err, idtypes.ErrBlocked))
	_, err = idtypes.ParseText("Email_LC_SHA256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
	fmt.Println(err)
	// Output:
	// Email test@test.com
	// Phone_E.164 +11111111111
	// true true
	// idtypes: parse Email_LC_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855": blocked value: SHA-256 of a blank or blocked value
}

func ExampleParseText() {
	for _, in := range []string{
		"CORE:07955261652886032950143702505894272138",
		"email_lc_sha256:A6EA4CDE5DA5AE7CC68BAAE894D1D6544FCA26254433B0FFF7C2CB4843B4A097",
		"crmid:a:b", // split at the first colon
		"MCMID:20265673158980419722735089753036633573",
	} {
		id, err := idtypes.ParseText(in)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(id.Namespace(), id.Text())
	}
	// Output:
	// CORE CORE:07955261652886032950143702505894272138
	// Email_LC_SHA256 Email_LC_SHA256:a6ea4cde5da5ae7cc68baae894d1d6544fca26254433b0fff7c2cb4843b4a097
	// CRMID CRMID:a:b
	// idtypes: parse namespace "MCMID": invalid namespace
}

func ExampleHashEmail() {
	id, err := idtypes.HashEmail(" ECID@adobe.com ")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(id.Text())
	// Output:
	// Email_LC_SHA256:a6ea4cde5da5ae7cc68baae894d1d6544fca26254433b0fff7c2cb4843b4a097
}

func ExampleHashPhone() {
	// The E.164 form, with its '+', is what is hashed.
	id, err := idtypes.HashPhone("+1 (415) 555-2671")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(id.Text())
	// Output:
	// Phone_SHA256:cb6880e416769253645cb9c6b8989154bf66a56a77fc14c81fb1019663cbb928
}

func ExampleID_Compare() {
	ids := []idtypes.ID{
		idtypes.MustParse(idtypes.Email, "zoe@example.com"),
		idtypes.MustParse(idtypes.ECID, "20265673158980419722735089753036633573"),
		idtypes.MustParse(idtypes.ECID, "08382830887934830189014177072406221371"),
		idtypes.MustParse(idtypes.CRMID, "c-7"),
		idtypes.MustParse(idtypes.Email, "ann@example.com"),
	}
	slices.SortFunc(ids, idtypes.ID.Compare)
	for _, id := range ids {
		fmt.Println(id.Text())
	}
	// Output:
	// ECID:08382830887934830189014177072406221371
	// ECID:20265673158980419722735089753036633573
	// CRMID:c-7
	// Email:ann@example.com
	// Email:zoe@example.com
}

func ExampleDeclareNamespace() {
	loyalty, err := idtypes.DeclareNamespace("LoyaltyNumber")
	if err != nil {
		fmt.Println(err)
		return
	}
	id, err := idtypes.ParseText("loyaltynumber:GOLD-123456")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(id.Namespace() == loyalty, loyalty.Visitor(), id.Text())
	// Output:
	// true false LoyaltyNumber:GOLD-123456
}

func ExampleID_MarshalBinary() {
	id := idtypes.MustParse(idtypes.AAMUUID, "07955261652886032950143702505894272138")
	key, _ := id.MarshalBinary()
	fmt.Printf("%d bytes: %x\n", len(key), key)

	var back idtypes.ID
	if err := back.UnmarshalBinary(key); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(back == id)
	// Output:
	// 17 bytes: 020b0a46d51b8e4e9f01fe88aaf1295c8a
	// true
}

// A key from another process names its custom namespace by code. Decoding
// never declares it: KeyCode vets the key and names the namespace, so the
// program decides what to declare.
func ExampleKeyCode() {
	key := []byte("\xff\x0bpartner-uidP-42")
	var id idtypes.ID
	err := id.UnmarshalBinary(key)
	fmt.Println(errors.Is(err, idtypes.ErrNamespace))

	code, err := idtypes.KeyCode(key)
	if err != nil {
		fmt.Println(err)
		return
	}
	if code == "partner-uid" { // a namespace this program expects
		if _, err := idtypes.DeclareNamespace("Partner-UID"); err != nil {
			fmt.Println(err)
			return
		}
	}
	err = id.UnmarshalBinary(key)
	fmt.Println(code, id.Text(), err)
	// Output:
	// true
	// partner-uid Partner-UID:P-42 <nil>
}

func ExampleID_MarshalText() {
	type visit struct {
		Visitor idtypes.ID `json:"visitor"`
		Person  idtypes.ID `json:"person,omitzero"`
	}
	b, _ := json.Marshal(visit{Visitor: idtypes.MustParse(idtypes.IDFA, "b56e68ec-34ed-46d5-af0c-1d2401f676c9")})
	fmt.Println(string(b))

	var v visit
	err := json.Unmarshal([]byte(`{"visitor":"ECID:20265673158980419722735089753036633573","person":"CRMID:c-7"}`), &v)
	fmt.Println(v.Visitor.Namespace(), v.Person, err)
	// Output:
	// {"visitor":"IDFA:B56E68EC-34ED-46D5-AF0C-1D2401F676C9"}
	// ECID c-7 <nil>
}

func ExampleFromHalves() {
	id, _ := idtypes.FromHalves(idtypes.ECID, 838283088793483018, 9014177072406221371)
	fmt.Println(id)
	hi, lo := id.Halves()
	fmt.Println(hi, lo)
	// Output:
	// 08382830887934830189014177072406221371
	// 838283088793483018 9014177072406221371
}
