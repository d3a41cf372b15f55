import re

import pytest

from hardware.fiscal.posnet import frame as posnet


def spec_crc(tables_text: str, data: bytes) -> int:
    """The spec's own table-driven C routine, run on its own tables."""
    high = [int(x, 16) for x in re.findall(r"0x([0-9a-f]{2})", tables_text.split("crc16ltab")[0])]
    low = [int(x, 16) for x in re.findall(r"0x([0-9a-f]{2})", tables_text.split("crc16ltab")[1])]
    assert len(high) == len(low) == 256
    hi = lo = 0
    for byte in data:
        index = hi ^ byte
        hi = lo ^ high[index]
        lo = low[index]
    return (hi << 8) | lo


def test_crc_of_the_known_frame_error_vector():
    assert posnet.crc16(b"ERR\t?5\t") == 0x7F84


def test_frame_error_is_encoded_exactly_as_the_vector():
    assert posnet.encode(posnet.Frame("ERR", error=5)) == b"\x02ERR\t?5\t#7F84\x03"


@pytest.mark.parametrize("text", [b"Ala ma kota.", b"ERR\t?5\t", b"trline\tnaMleko\tvt2\tpr245\t",
                                  "trline\tnaŻółć gęślą\t".encode("cp1250"), bytes(range(256))])
def test_crc_matches_the_spec_tables(posnet_spec_text, text):
    start = posnet_spec_text.index("unsigned char crc16htab[]")
    tables = posnet_spec_text[start:posnet_spec_text.index("unsigned char hi=0", start)]
    assert posnet.crc16(text) == spec_crc(tables, text)


def spec_examples(text: str) -> list[str]:
    """Every example frame of the spec on one line, [TAB] as a real TAB."""
    found = re.findall(r"\[STX\]([a-z!]+\[(?:TAB|tab)\].*?)#CRC16\s?\[ETX\]", text)
    return [f.replace("[TAB]", "\t").replace("[tab]", "\t") for f in found]


def test_our_encoder_writes_the_spec_example_frames_byte_for_byte(posnet_spec_text):
    examples = [e for e in spec_examples(posnet_spec_text)
                if e.split("\t")[0] in ("trinit", "trline", "trpayment", "trend", "prncancel", "dailyrep",
                                        "rtcget", "vatget", "scnt", "stot", "strns", "sid", "ftrcfg")]
    assert len(examples) >= 10
    for body in examples:
        fields = [f for f in body.split("\t") if f]
        frame = posnet.Frame(fields[0], [(f[:2], f[2:]) for f in fields[1:] if not f.startswith("@")])
        encoded = posnet.encode(frame)
        assert encoded[1:-6].decode("cp1250") == body, body
        assert posnet.decode(encoded).params == frame.params


def test_polish_letters_go_in_windows_1250_and_come_back():
    frame = posnet.Frame("trline", [("na", "Jabłka źółć"), ("vt", "1"), ("pr", "200")], token="0042")
    data = posnet.encode(frame)
    assert "Jabłka źółć".encode("cp1250") in data  # ł is 0xB3, ź 0x9F in Windows-1250
    decoded = posnet.decode(data)
    assert decoded.get("na") == "Jabłka źółć" and decoded.token == "0042"


def test_command_error_reply_as_the_spec_writes_it():
    data = posnet.encode(posnet.Frame("trend", [], "0007", error=2805))
    assert data.startswith(b"\x02trend\t@0007\t?2805#")  # no TAB before '#'
    reply = posnet.decode(data)
    assert (reply.command, reply.token, reply.error) == ("trend", "0007", 2805)


def test_rpt_example_error_field_er_is_understood():
    body = b"ERR\t@8765\ter13\tcmrpt\t"
    reply = posnet.decode(b"\x02" + body + b"#" + f"{posnet.crc16(body):04X}".encode() + b"\x03")
    assert reply.error == 13 and reply.get("cm") == "rpt"


def test_damaged_checksum_is_refused():
    data = bytearray(posnet.encode(posnet.Frame("scnt", [("bn", "12")])))
    data[3] ^= 0x01
    with pytest.raises(posnet.FrameError):
        posnet.decode(bytes(data))


def test_reader_cuts_a_stream_and_drops_noise_and_cut_frames():
    one = posnet.encode(posnet.Frame("sprn", [("pr", "0")]))
    two = posnet.encode(posnet.Frame("sdev", [("qe", "T")]))
    reader = posnet.FrameReader()
    assert reader.feed(b"noise" + one[:5]) == []
    assert reader.feed(one[5:] + b"\x02broken" + two) == [one, two]


def test_amounts_and_weighed_quantities():
    assert posnet.amount(1234) == "1234"
    assert posnet.quantity(3, weighed=False) == "3"
    assert posnet.quantity(352, weighed=True) == "0.352"
    assert posnet.quantity(1500, weighed=True) == "1.500"
    assert posnet.parse_num("0,352") == (352, 1000)
    with pytest.raises(ValueError):
        posnet.parse_num("1.2345")


def test_vat_rates_as_the_printer_sends_them(posnet_manual_text):
    example = re.search(r"\[STX\]vatget\[TAB\](va.*?)#CRC16", posnet_manual_text.replace("\n", ""))
    fields = dict((f[:2], f[2:]) for f in example.group(1).split("[TAB]") if f)
    rates = {k: posnet.parse_rate(v) for k, v in fields.items()}
    assert rates == {"va": 2200, "vb": 700, "vc": "inactive", "vd": "inactive", "ve": "inactive",
                     "vf": "inactive", "vg": None}
    assert [posnet.format_rate(r) for r in (2300, None, "inactive")] == ["23,00", "100,00", "101,00"]
