// The conformance bridge, compiled into Debian's Sarama 1.22 package (package sarama) so that it can reach
// Sarama's own encoders and decoders: see conformance-encoders.test.ts.

package sarama

import "fmt"

// samsaMaxVersion is the newest version of each API that Sarama 1.22 declares (its requiredVersion switches).
var samsaMaxVersion = map[int16]int16{
	0: 3, 1: 4, 2: 1, 3: 5, 8: 4, 9: 5, 10: 1, 11: 2, 12: 0, 13: 0, 14: 0, 15: 0, 16: 0, 17: 1, 18: 0,
	19: 2, 20: 1, 21: 0, 22: 0, 24: 0, 25: 0, 26: 0, 28: 0, 29: 1, 30: 1, 31: 1, 32: 2, 33: 0, 36: 0,
	37: 0, 42: 0,
}

type samsaBody interface {
	encoder
	versionedDecoder
}

func samsaResponse(key int16) samsaBody {
	switch key {
	case 0:
		return &ProduceResponse{}
	case 1:
		return &FetchResponse{}
	case 2:
		return &OffsetResponse{}
	case 3:
		return &MetadataResponse{}
	case 8:
		return &OffsetCommitResponse{}
	case 9:
		return &OffsetFetchResponse{}
	case 10:
		return &FindCoordinatorResponse{}
	case 11:
		return &JoinGroupResponse{}
	case 12:
		return &HeartbeatResponse{}
	case 13:
		return &LeaveGroupResponse{}
	case 14:
		return &SyncGroupResponse{}
	case 15:
		return &DescribeGroupsResponse{}
	case 16:
		return &ListGroupsResponse{}
	case 17:
		return &SaslHandshakeResponse{}
	case 18:
		return &ApiVersionsResponse{}
	case 19:
		return &CreateTopicsResponse{}
	case 20:
		return &DeleteTopicsResponse{}
	case 21:
		return &DeleteRecordsResponse{}
	case 22:
		return &InitProducerIDResponse{}
	case 24:
		return &AddPartitionsToTxnResponse{}
	case 25:
		return &AddOffsetsToTxnResponse{}
	case 26:
		return &EndTxnResponse{}
	case 28:
		return &TxnOffsetCommitResponse{}
	case 29:
		return &DescribeAclsResponse{}
	case 30:
		return &CreateAclsResponse{}
	case 31:
		return &DeleteAclsResponse{}
	case 32:
		return &DescribeConfigsResponse{}
	case 33:
		return &AlterConfigsResponse{}
	case 36:
		return &SaslAuthenticateResponse{}
	case 37:
		return &CreatePartitionsResponse{}
	case 42:
		return &DeleteGroupsResponse{}
	}
	return nil
}

// SamsaKnown lists the (kind, key, version) Sarama declares.
func SamsaKnown() [][3]interface{} {
	var out [][3]interface{}
	for key, max := range samsaMaxVersion {
		for v := int16(0); v <= max; v++ {
			out = append(out, [3]interface{}{"request", key, v}, [3]interface{}{"response", key, v})
		}
	}
	return out
}

// SamsaRoundTrip decodes a request or response body with Sarama's own decoder for that version (which insists
// on reading every byte) and encodes what it read again.
func SamsaRoundTrip(kind string, key, version int16, data []byte) ([]byte, error) {
	if max, ok := samsaMaxVersion[key]; !ok || version > max {
		return nil, fmt.Errorf("unknown")
	}
	var body samsaBody
	if kind == "request" {
		body = allocateBody(key, version)
	} else {
		body = samsaResponse(key)
	}
	if body == nil {
		return nil, fmt.Errorf("unknown")
	}
	if err := versionedDecode(data, body, version); err != nil {
		return nil, err
	}
	return encode(body, nil)
}
