from hardware.fiscal.posnet.errors import ERRORS, MECHANISM, command_error, mechanism_error


def test_every_mapped_error_is_the_spec_s_number_and_mnemonic(posnet_error_table):
    for number, (mnemonic, *_rest) in ERRORS.items():
        assert posnet_error_table.get(number) == mnemonic, number


def test_the_common_refusals_read_clearly():
    wrong_total = command_error(2805, "trend")
    assert wrong_total.code == "total_mismatch" and not wrong_total.ambiguous
    assert "total" in wrong_total.message and "cancelled" in wrong_total.action
    assert command_error(2005, "trline").code == "no_transaction"
    assert command_error(383, "trinit").code == "daily_report_required"
    assert command_error(2000, "trline").code == "vat_not_active"


def test_unknown_numbers_still_say_what_happened():
    error = command_error(4242, "trline")
    assert error.code == "printer_error" and "4242" in error.message and error.action


def test_paper_and_cover_come_from_the_mechanism_status(posnet_spec_text):
    sprn = posnet_spec_text[posnet_spec_text.index("[sprn] Status mechanizmu\n"):]
    assert "3 – podniesiona pokrywa" in sprn and "5 – brak papieru – oryginał" in sprn
    assert mechanism_error(5, ambiguous=False).code == "paper_out"
    assert mechanism_error(3, ambiguous=True).code == "cover_open"
    assert mechanism_error(3, ambiguous=True).ambiguous
    assert set(MECHANISM) == set(range(1, 11))


def test_every_error_the_spec_lists_has_its_meaning(posnet_spec_text):
    from hardware.fiscal.posnet.spec_errors import COMMAND_ERRORS, FRAME_ERRORS

    chapter = posnet_spec_text[posnet_spec_text.index("Opisy błędów\n"):]
    frames, commands = chapter.split("Błędy poleceń", 1)
    import re
    row = re.compile(r"^\s*(\d{1,4})\s+((?:PROTO_)?ERR_[A-Z0-9_]+)", re.M)
    listed_frames = {int(n): m for n, m in row.findall(frames)}
    listed_commands = {int(n): m for n, m in row.findall(commands)}
    assert listed_commands and listed_frames
    assert {n: m for n, (m, _) in FRAME_ERRORS.items()} == listed_frames
    assert {n: m for n, (m, _) in COMMAND_ERRORS.items()} == listed_commands
    for number, mnemonic in listed_commands.items():
        error = command_error(number, "trend")
        assert error.code != "printer_error" and mnemonic in error.message and error.action, number
    for number, mnemonic in listed_frames.items():
        error = command_error(number, "trline", frame=True)
        assert error.code != "printer_error" and mnemonic in error.message, number


def test_the_verification_errors_say_what_differs():
    assert command_error(2801, "trend").code == "discount_mismatch"
    assert command_error(2802, "trline").code == "line_total_mismatch"
    assert command_error(2806, "trend").code == command_error(2807, "trend").code == "deposit_mismatch"
    for number in (2801, 2802, 2806, 2807):
        assert "cancelled" in command_error(number, "trend").action
    assert command_error(1957, "trend").code == "amount_too_large"
