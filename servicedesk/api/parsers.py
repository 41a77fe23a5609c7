from rest_framework import exceptions, parsers

from servicedesk.inputs import DEPTH_MESSAGE, MAX_JSON_DEPTH, json_too_deep, null_character_fields


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, answering 400 (not 500) to JSON the desk cannot take: nested more than
    MAX_JSON_DEPTH levels (the parser or the JSON Schema validation would run out of stack), or holding a
    NUL character anywhere (PostgreSQL stores none in text or jsonb; the top-level fields holding one
    are named)."""

    def parse(self, stream, media_type=None, parser_context=None):
        too_deep = exceptions.ParseError(DEPTH_MESSAGE % {"depth": MAX_JSON_DEPTH})
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise too_deep from None
        if json_too_deep(data):
            raise too_deep
        fields = null_character_fields(data)
        if fields:
            raise exceptions.ValidationError(fields)
        return data
