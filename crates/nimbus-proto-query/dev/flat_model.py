"""A made-up `query` service model exercising the rarer traits (flattened lists and maps,
renamed list members, map key/value names, blobs, `unixTimestamp`, an `xmlAttribute`).

Shared by capture_requests.py, gen_test_models.py and check_responses.py so that the
Rust test model `FLAT` (tests/all/models.rs) and botocore see the very same shapes.
"""
from botocore.model import ServiceModel

FLAT_DESCRIPTION = {
    'metadata': {'protocol': 'query', 'apiVersion': '2020-01-01',
                 'xmlNamespace': 'https://flat.example/doc/2020-01-01/',
                 'endpointPrefix': 'flat', 'serviceId': 'Flat'},
    'operations': {
        'Go': {'name': 'Go', 'http': {'method': 'POST', 'requestUri': '/'},
               'input': {'shape': 'GoInput'},
               'output': {'shape': 'GoOutput', 'resultWrapper': 'GoResult'}},
        'Bare': {'name': 'Bare', 'http': {'method': 'POST', 'requestUri': '/'},
                 'output': {'shape': 'BareOutput'}},
    },
    'shapes': {
        'GoInput': {'type': 'structure', 'members': {
            'Flat': {'shape': 'StrList', 'flattened': True},
            'FlatNamed': {'shape': 'NamedList', 'flattened': True},
            'FlatShape': {'shape': 'FlatList'},
            'Named': {'shape': 'NamedList', 'locationName': 'Renamed'},
            'FlatMap': {'shape': 'KvMap', 'flattened': True},
            'Map': {'shape': 'KvMap'},
            'Things': {'shape': 'ThingMap'},
            'Nested': {'shape': 'ListOfLists'},
            'Data': {'shape': 'Blob'},
            'When': {'shape': 'Ts', 'timestampFormat': 'unixTimestamp'},
            'At': {'shape': 'Ts'},
            'Ok': {'shape': 'Bool'},
            'Ratio': {'shape': 'Double'},
            'Big': {'shape': 'Long'},
            'Count': {'shape': 'Int'},
        }},
        'GoOutput': {'type': 'structure', 'members': {
            'Flat': {'shape': 'StrList', 'flattened': True},
            'FlatNamed': {'shape': 'NamedList', 'flattened': True},
            'Named': {'shape': 'NamedList', 'locationName': 'Renamed'},
            'Empty': {'shape': 'StrList'},
            'FlatMap': {'shape': 'KvMap', 'flattened': True},
            'Map': {'shape': 'KvMap'},
            'Things': {'shape': 'ThingMap'},
            'ThingList': {'shape': 'ThingList'},
            'Data': {'shape': 'Blob'},
            'When': {'shape': 'Ts', 'timestampFormat': 'unixTimestamp'},
            'At': {'shape': 'Ts'},
            'Ok': {'shape': 'Bool'},
            'Ratio': {'shape': 'Double'},
            'Big': {'shape': 'Long'},
            'Text': {'shape': 'Str'},
        }},
        'BareOutput': {'type': 'structure', 'members': {'Text': {'shape': 'Str'}}},
        'Thing': {'type': 'structure', 'members': {
            'Kind': {'shape': 'Str', 'locationName': 'kind', 'xmlAttribute': True},
            'Id': {'shape': 'Str'},
            'Size': {'shape': 'Int'},
        }},
        'StrList': {'type': 'list', 'member': {'shape': 'Str'}},
        'NamedList': {'type': 'list', 'member': {'shape': 'Str', 'locationName': 'Item'}},
        'FlatList': {'type': 'list', 'member': {'shape': 'Str'}, 'flattened': True},
        'ListOfLists': {'type': 'list', 'member': {'shape': 'StrList'}},
        'ThingList': {'type': 'list', 'member': {'shape': 'Thing', 'locationName': 'Thing'}},
        'KvMap': {'type': 'map', 'key': {'shape': 'Str', 'locationName': 'K'},
                  'value': {'shape': 'Str', 'locationName': 'V'}},
        'ThingMap': {'type': 'map', 'key': {'shape': 'Str'}, 'value': {'shape': 'Thing'}},
        'Str': {'type': 'string'}, 'Blob': {'type': 'blob'}, 'Ts': {'type': 'timestamp'},
        'Bool': {'type': 'boolean'}, 'Double': {'type': 'double'}, 'Long': {'type': 'long'},
        'Int': {'type': 'integer'},
    },
}


def flat_model():
    return ServiceModel(FLAT_DESCRIPTION, 'flat')
