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
