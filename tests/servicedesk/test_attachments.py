import hashlib
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from servicedesk.attachments import SNIFF_BYTES, allowed_extensions, clean_file_name, validate_upload

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64
GIF = b"GIF89a" + b"\x00" * 64
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 64
PDF = b"%PDF-1.7\n" + b"1 0 obj\n" * 8
ZIP = b"PK\x03\x04" + b"\x00" * 64
GZIP = b"\x1f\x8b\x08\x00" + b"\x00" * 64


def upload(name, content):
    return SimpleUploadedFile(name, content)


def refusal_code(caught) -> str:
    (error,) = caught.value.error_dict["attachments"]
    return error.code


@pytest.mark.parametrize(
    ("name", "content", "media_type"),
    [
        ("shot.png", PNG, "image/png"),
        ("photo.jpg", JPEG, "image/jpeg"),
        ("photo.JPEG", JPEG, "image/jpeg"),
        ("anim.gif", GIF, "image/gif"),
        ("pic.webp", WEBP, "image/webp"),
        ("manual.pdf", PDF, "application/pdf"),
        ("logs.zip", ZIP, "application/zip"),
        ("logs.gz", GZIP, "application/gzip"),
        ("report.docx", ZIP, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        ("sheet.xlsx", ZIP, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("notes.txt", b"plain text\n", "text/plain"),
        ("server.log", "ошибка 42 – 错误\n".encode(), "text/plain"),
        ("data.csv", b"a,b\n1,2\n", "text/csv"),
        ("data.json", b'{"a": 1}', "application/json"),
        ("readme.md", b"# Title\n", "text/markdown"),
        ("mail.eml", b"From: a@example.com\r\nSubject: hi\r\n\r\nbody", "message/rfc822"),
    ],
)
def test_allowed_types_pass(name, content, media_type):
    info = validate_upload(upload(name, content))
    assert info.name == name
    assert info.media_type == media_type
    assert info.size == len(content)
    assert info.sha256 == hashlib.sha256(content).hexdigest()
    extension = name.rsplit(".", 1)[1].lower()
    assert info.storage_name.endswith(f".{extension}")
    assert name.rsplit(".", 1)[0] not in info.storage_name


def test_storage_names_are_random():
    names = {validate_upload(upload("a.png", PNG)).storage_name for _ in range(3)}
    assert len(names) == 3


def test_file_is_rewound_after_checking():
    file = upload("a.png", PNG)
    validate_upload(file)
    assert file.read() == PNG


def test_plain_file_object_is_accepted():
    file = io.BytesIO(PNG)
    file.name = "a.png"
    assert validate_upload(file).size == len(PNG)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("fake.png", b"just some text pretending"),
        ("fake.png", PDF),
        ("fake.jpg", PNG),
        ("fake.pdf", b"hello world"),
        ("fake.zip", PDF),
        ("fake.docx", PNG),
        ("fake.gif", b"GIT is not a picture"),
        ("script.txt", PNG),
        ("binary.csv", ZIP),
    ],
)
def test_content_that_does_not_match_the_extension_is_refused(name, content):
    with pytest.raises(ValidationError) as caught:
        validate_upload(upload(name, content))
    assert refusal_code(caught) == "file_content_mismatch"


@pytest.mark.parametrize("name", ["empty.txt", "empty.png"])
def test_empty_file_is_refused(name):
    with pytest.raises(ValidationError) as caught:
        validate_upload(upload(name, b""))
    assert refusal_code(caught) == "empty_file"


def test_file_at_the_limit_passes_and_one_byte_more_is_refused(settings):
    settings.ITSM_ATTACHMENT_MAX_BYTES = 100
    assert validate_upload(upload("a.txt", b"a" * 100)).size == 100
    with pytest.raises(ValidationError) as caught:
        validate_upload(upload("a.txt", b"a" * 101))
    assert refusal_code(caught) == "file_too_large"


def test_size_limit_is_read_when_used(settings):
    settings.ITSM_ATTACHMENT_MAX_BYTES = 10
    with pytest.raises(ValidationError):
        validate_upload(upload("a.png", PNG))


@pytest.mark.parametrize(
    "name",
    [
        "virus.exe",
        "page.html",
        "page.htm",
        "drawing.svg",
        "app.js",
        "noextension",
        "run.sh",
        "x.php",
        "a.png.exe",
    ],
)
def test_disallowed_extension_is_refused(name):
    with pytest.raises(ValidationError) as caught:
        validate_upload(upload(name, b"content"))
    assert refusal_code(caught) == "file_type_not_allowed"


@pytest.mark.parametrize(
    "content",
    [
        b"abc\x00def",
        b"\x00",
        b"a" * (SNIFF_BYTES + 10) + b"\x00",
        b"a" * (3 * SNIFF_BYTES) + b"\x00tail",
    ],
    ids=["inside", "only", "after the sniffed window", "far after"],
)
def test_text_with_nul_bytes_is_refused(content):
    with pytest.raises(ValidationError) as caught:
        validate_upload(upload("notes.txt", content))
    assert refusal_code(caught) == "file_content_mismatch"


@pytest.mark.parametrize(
    "content",
    [b"caf\xe9", b"a" * (SNIFF_BYTES + 100) + b"\xff\xfe"],
    ids=["latin-1", "bad bytes after the sniffed window"],
)
def test_text_that_is_not_utf8_is_refused(content):
    with pytest.raises(ValidationError):
        validate_upload(upload("notes.txt", content))


def test_text_with_a_character_cut_by_the_sniffed_window_passes():
    content = b"a" * (SNIFF_BYTES - 1) + "é".encode() + b" more"
    assert validate_upload(upload("notes.txt", content)).size == len(content)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("..\\..\\windows\\win.ini.txt", "win.ini.txt"),
        ("C:\\Users\\me\\report.pdf", "report.pdf"),
        ("/var/www/shell.png", "shell.png"),
        ("a\x00b\x1f.txt", "ab.txt"),
        ("..hidden.txt", "hidden.txt"),
        ("  spaced.txt  ", "spaced.txt"),
        ("line\nbreak.txt", "linebreak.txt"),
        ("right\u202etxt.exe", "righttxt.exe"),
        ("..", "file"),
        ("", "file"),
    ],
)
def test_file_names_are_cleaned(raw, clean):
    assert clean_file_name(raw) == clean


def test_long_file_names_keep_their_extension():
    cleaned = clean_file_name("x" * 400 + ".txt")
    assert len(cleaned) == 255
    assert cleaned.endswith(".txt")


def test_path_traversal_name_is_stored_under_its_clean_name():
    info = validate_upload(upload("../../../etc/cron.d/job.txt", b"* * * * * rm -rf /"))
    assert info.name == "job.txt"
    assert "/" not in info.storage_name
    assert ".." not in info.storage_name


def test_allowed_extensions_are_listed_sorted():
    extensions = allowed_extensions()
    assert extensions == sorted(extensions)
    assert {"png", "pdf", "txt"} <= set(extensions)
    assert not {"exe", "html", "svg", "js"} & set(extensions)


# The field states the limits beside itself and carries them for the browser's check (static/js/app.js)


def test_the_attachments_field_states_its_limits_as_they_are_when_shown(settings):
    from django import forms

    from servicedesk.fields import MultipleFileField

    class Form(forms.Form):
        attachments = MultipleFileField()

    settings.ITSM_ATTACHMENTS_PER_ENTRY = 3
    settings.ITSM_ATTACHMENT_MAX_BYTES = 2 * 1024 * 1024
    form = Form()
    assert str(form["attachments"].help_text).startswith("Up to 3 files, 2.0\xa0MB each. Allowed: csv, docx,")
    html = str(form["attachments"])
    assert 'data-max-files="3"' in html
    assert f'data-max-bytes="{2 * 1024 * 1024}"' in html
    assert f'data-extensions="{",".join(allowed_extensions())}"' in html
    assert 'data-message-size="“{name}” is larger than 2.0\xa0MB."' in html
    assert 'data-message-count="At most 3 files at a time."' in html
    assert 'data-message-type="Files of type “{extension}” cannot be attached. Allowed: csv,' in html
