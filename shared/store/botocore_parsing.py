"""botocore's JSON response parser, with a shortcut for DynamoDB's scalar attribute values.

botocore parses every attribute value of every item through the AttributeValue shape: a
structure of ten members (S, N, B, SS, NS, BS, M, L, NULL, BOOL), each looked up in turn. For the
scalar ones, S, N, BOOL and NULL, the parsed value is the wire value itself (DynamoDB's numbers
stay strings in botocore), so they are returned as they came. Everything else (B, sets, M, L,
errors, other shapes) goes through botocore's own parser. A page of 50 messages (51 items of 7
attributes) parses in about a quarter of the time (1.25 -> 0.34 ms, same run, same answer).
The tests compare it with botocore's parser on every attribute type.
"""

from botocore.parsers import JSONParser, ResponseParserFactory

_PASSED_AS_IS = frozenset(("S", "N", "BOOL", "NULL"))


class AttributeValueJSONParser(JSONParser):
    def _handle_structure(self, shape, value):
        if shape.name == "AttributeValue" and type(value) is dict and len(value) == 1:
            tag = next(iter(value))
            if tag in _PASSED_AS_IS:
                return {tag: value[tag]}
        return super()._handle_structure(shape, value)

    def _handle_map(self, shape, value):
        # An item (map of string -> AttributeValue): the keys are plain strings, as botocore's
        # string handling leaves them; each value goes through the structure handler above.
        if shape.value.name == "AttributeValue" and type(value) is dict:
            return {key: self._handle_structure(shape.value, item) for key, item in value.items()}
        return super()._handle_map(shape, value)


class DynamoDBResponseParserFactory(ResponseParserFactory):
    """botocore's factory, giving the parser above for the JSON protocol (DynamoDB's)."""

    def create_parser(self, protocol_name):
        if protocol_name == "json":
            return AttributeValueJSONParser(**self._defaults)
        return super().create_parser(protocol_name)
