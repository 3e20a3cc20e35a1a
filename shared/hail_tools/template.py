"""Read template.yaml the way CloudFormation and SAM would, for local tooling.

Loads the template (short intrinsic tags included), resolves intrinsic functions
against local values, lists the API routes and functions, and creates the
template's DynamoDB tables and SQS queues in whatever AWS the clients point at
(moto in tests, the embedded moto server for `make run`).
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_PATH = REPO_ROOT / "template.yaml"
ACCOUNT_ID = "123456789012"  # moto's default account
DEFAULT_REGION = "eu-west-1"
API_ID = "local"

# --------------------------------------------------------------------------- loading


class CfnLoader(yaml.SafeLoader):
    """A YAML loader that turns CloudFormation short tags into their long form."""


def _construct_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        assert isinstance(node, yaml.MappingNode)
        value = loader.construct_mapping(node, deep=True)
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "Condition":
        return {"Condition": value}
    if suffix == "GetAtt" and isinstance(value, str):
        resource, _, attribute = value.partition(".")
        value = [resource, attribute]
    return {f"Fn::{suffix}": value}


CfnLoader.add_multi_constructor("!", _construct_tag)


def load_template(path: str | Path | None = None) -> dict[str, Any]:
    """Load a SAM/CloudFormation template (default: the repository's template.yaml)."""
    with open(path or TEMPLATE_PATH, encoding="utf-8") as stream:
        loaded = yaml.load(stream, Loader=CfnLoader)  # noqa: S506 - CfnLoader is a SafeLoader
    if not isinstance(loaded, dict):
        raise ValueError(f"{path or TEMPLATE_PATH} is not a template")
    return loaded


# --------------------------------------------------------------------------- resolving


class _NoValue:
    """AWS::NoValue: removes the property that holds it."""


NO_VALUE = _NoValue()


@dataclass
class Context:
    """Local values the template is resolved against."""

    template: dict[str, Any]
    parameters: dict[str, str] = field(default_factory=dict)
    region: str = DEFAULT_REGION
    account_id: str = ACCOUNT_ID
    stack_name: str = "hail-local"
    queue_urls: dict[str, str] = field(default_factory=dict)  # logical id -> URL
    imports: dict[str, str] = field(default_factory=dict)  # Fn::ImportValue names

    @property
    def resources(self) -> dict[str, Any]:
        return self.template.get("Resources") or {}

    def physical_name(self, logical_id: str) -> str:
        """The local name of a resource: its explicit name property, else its logical id."""
        resource = self.resources.get(logical_id)
        if resource is None:
            raise KeyError(f"no resource {logical_id!r} in the template")
        props = resource.get("Properties") or {}
        kind = resource.get("Type")
        name_prop = {
            "AWS::DynamoDB::Table": "TableName",
            "AWS::SQS::Queue": "QueueName",
            "AWS::Serverless::Function": "FunctionName",
            "AWS::Lambda::Function": "FunctionName",
        }.get(kind or "")
        if name_prop and props.get(name_prop) is not None:
            return str(resolve(props[name_prop], self))
        if kind == "AWS::SQS::Queue" and _truthy(resolve(props.get("FifoQueue", False), self)):
            return f"{logical_id}.fifo"
        return logical_id

    def arn(self, service: str, resource: str) -> str:
        return f"arn:aws:{service}:{self.region}:{self.account_id}:{resource}"

    def queue_url(self, logical_id: str) -> str:
        name = self.physical_name(logical_id)
        default = f"https://sqs.{self.region}.amazonaws.com/{self.account_id}/{name}"
        return self.queue_urls.get(logical_id, default)


def make_context(
    template: dict[str, Any],
    parameters: Mapping[str, str] | None = None,
    region: str | None = None,
    **kwargs: Any,
) -> Context:
    """A Context whose parameters are the template defaults overridden by `parameters`."""
    values = {
        name: str(spec.get("Default", ""))
        for name, spec in (template.get("Parameters") or {}).items()
    }
    values.update(parameters or {})
    return Context(template, values, region or DEFAULT_REGION, **kwargs)


def _truthy(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


def _ref(name: str, ctx: Context) -> Any:
    pseudo = {
        "AWS::Region": ctx.region,
        "AWS::AccountId": ctx.account_id,
        "AWS::StackName": ctx.stack_name,
        "AWS::StackId": ctx.arn("cloudformation", f"stack/{ctx.stack_name}/local"),
        "AWS::Partition": "aws",
        "AWS::URLSuffix": "amazonaws.com",
        "AWS::NotificationARNs": [],
        "AWS::NoValue": NO_VALUE,
    }
    if name in pseudo:
        return pseudo[name]
    if name in ctx.parameters:
        return ctx.parameters[name]
    resource = ctx.resources.get(name)
    if resource is None:
        raise KeyError(f"Ref to unknown parameter or resource {name!r}")
    kind = resource.get("Type")
    if kind == "AWS::SQS::Queue":
        return ctx.queue_url(name)
    if kind == "AWS::Serverless::Api":
        return API_ID
    if kind == "AWS::Cognito::UserPool":
        return _user_pool_id(name, ctx)
    if kind == "AWS::Cognito::UserPoolDomain":
        return resolve((resource.get("Properties") or {}).get("Domain", name), ctx)
    return ctx.physical_name(name)


def _user_pool_id(logical_id: str, ctx: Context) -> str:
    """A local stand-in for a user pool id (REGION_ID, as Cognito's are)."""
    return f"{ctx.region}_{logical_id}"


def _get_att(logical_id: str, attribute: str, ctx: Context) -> Any:
    resource = ctx.resources.get(logical_id)
    if resource is None:
        raise KeyError(f"Fn::GetAtt of unknown resource {logical_id!r}")
    kind = resource.get("Type")
    name = ctx.physical_name(logical_id)
    if kind == "AWS::DynamoDB::Table":
        arn = ctx.arn("dynamodb", f"table/{name}")
        if attribute == "Arn":
            return arn
        if attribute == "StreamArn":
            return f"{arn}/stream/1970-01-01T00:00:00.000"
    elif kind == "AWS::SQS::Queue":
        if attribute == "Arn":
            return ctx.arn("sqs", name)
        if attribute == "QueueName":
            return name
        if attribute == "QueueUrl":
            return ctx.queue_url(logical_id)
    elif kind in ("AWS::Serverless::Function", "AWS::Lambda::Function") and attribute == "Arn":
        return ctx.arn("lambda", f"function:{name}")
    elif kind == "AWS::Cognito::UserPool":
        pool_id = _user_pool_id(logical_id, ctx)
        provider = f"cognito-idp.{ctx.region}.amazonaws.com/{pool_id}"
        values = {
            "Arn": ctx.arn("cognito-idp", f"userpool/{pool_id}"),
            "ProviderName": provider,
            "ProviderURL": f"https://{provider}",
            "UserPoolId": pool_id,
        }
        if attribute in values:
            return values[attribute]
    elif kind == "AWS::Cognito::UserPoolClient" and attribute == "ClientId":
        return name
    elif kind == "AWS::Serverless::Api" and attribute == "RootResourceId":
        return "root"
    elif attribute == "Arn":
        service = (kind or "aws::unknown").split("::")[1].lower()
        return ctx.arn(service, name)
    raise KeyError(f"Fn::GetAtt {logical_id}.{attribute} is not supported locally")


_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")


def _sub(template: str, variables: Mapping[str, Any], ctx: Context) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match.group(1).strip()
        if name.startswith("!"):
            return "${" + name[1:] + "}"
        if name in variables:
            return str(variables[name])
        if "." in name and not name.startswith("AWS::"):
            resource, _, attribute = name.partition(".")
            return str(_get_att(resource, attribute, ctx))
        return str(_ref(name, ctx))

    return _SUB_VARIABLE.sub(replace, template)


def _condition(name: str, ctx: Context) -> bool:
    conditions = ctx.template.get("Conditions") or {}
    if name not in conditions:
        raise KeyError(f"unknown condition {name!r}")
    return bool(resolve(conditions[name], ctx))


def _intrinsic(name: str, arg: Any, ctx: Context) -> Any:
    if name == "Ref":
        return _ref(arg, ctx)
    if name == "Condition":
        return _condition(arg, ctx)
    if name == "Fn::GetAtt":
        logical_id, attribute = arg if isinstance(arg, list) else str(arg).split(".", 1)
        return _get_att(logical_id, resolve(attribute, ctx), ctx)
    if name == "Fn::Sub":
        if isinstance(arg, list):
            text, variables = arg
            return _sub(text, resolve(variables, ctx), ctx)
        return _sub(arg, {}, ctx)
    if name == "Fn::If":
        condition, if_true, if_false = arg
        return resolve(if_true if _condition(condition, ctx) else if_false, ctx)
    # The remaining functions take fully resolved arguments.
    value = resolve(arg, ctx)
    if name == "Fn::Join":
        delimiter, items = value
        return delimiter.join(str(item) for item in items)
    if name == "Fn::Select":
        index, items = value
        return items[int(index)]
    if name == "Fn::Split":
        delimiter, text = value
        return text.split(delimiter)
    if name == "Fn::GetAZs":
        region = value or ctx.region
        return [f"{region}{zone}" for zone in "abc"]
    if name == "Fn::ImportValue":
        if value not in ctx.imports:
            raise KeyError(f"Fn::ImportValue {value!r} has no local value")
        return ctx.imports[value]
    if name == "Fn::Base64":
        return base64.b64encode(str(value).encode()).decode()
    if name == "Fn::Equals":
        left, right = value
        return str(left) == str(right)
    if name == "Fn::Not":
        return not value[0]
    if name == "Fn::And":
        return all(value)
    if name == "Fn::Or":
        return any(value)
    if name == "Fn::FindInMap":
        map_name, top, second = value
        return ctx.template["Mappings"][map_name][top][second]
    raise KeyError(f"intrinsic function {name} is not supported locally")


_INTRINSICS = {"Ref", "Condition"}


def resolve(value: Any, context: Context) -> Any:
    """Resolve the intrinsic functions in a template value against local values."""
    if isinstance(value, dict):
        if len(value) == 1:
            (key, arg), *_ = value.items()
            if key in _INTRINSICS or key.startswith("Fn::"):
                return _intrinsic(key, arg, context)
        resolved = {key: resolve(item, context) for key, item in value.items()}
        return {key: item for key, item in resolved.items() if item is not NO_VALUE}
    if isinstance(value, list):
        items = [resolve(item, context) for item in value]
        return [item for item in items if item is not NO_VALUE]
    return value


# --------------------------------------------------------------------------- functions


@dataclass(frozen=True)
class Route:
    function: str  # logical id of the function
    handler_file: Path
    handler_attr: str
    path: str  # resource path template, e.g. /v1/publications/{id}
    method: str  # GET, POST, ..., or ANY
    event: str = ""  # name of the event in the template


@dataclass(frozen=True)
class SqsEvent:
    name: str
    queue: str  # logical id of the queue
    batch_size: int
    function_response_types: tuple[str, ...]
    maximum_batching_window: int
    enabled: bool


@dataclass
class Function:
    logical_id: str
    code_uri: Path
    handler: str  # e.g. "app.handler"
    handler_file: Path
    handler_attr: str
    timeout: int
    memory_size: int
    environment: dict[str, Any]  # resolved when a context is given, raw otherwise
    events: dict[str, dict[str, Any]]
    sqs_events: list[SqsEvent]


def _resources_of(template: Mapping[str, Any], *kinds: str) -> Iterable[tuple[str, dict]]:
    for logical_id, resource in (template.get("Resources") or {}).items():
        if resource.get("Type") in kinds:
            yield logical_id, resource


def _logical_id_of(reference: Any) -> str:
    """The logical id behind a !Ref / !GetAtt (or a plain name)."""
    if isinstance(reference, dict):
        if "Ref" in reference:
            return str(reference["Ref"])
        if "Fn::GetAtt" in reference:
            target = reference["Fn::GetAtt"]
            return str(target[0] if isinstance(target, list) else target.split(".")[0])
    return str(reference)


def _sqs_event(name: str, props: Mapping[str, Any], queue: Any) -> SqsEvent:
    return SqsEvent(
        name=name,
        queue=_logical_id_of(queue),
        batch_size=int(props.get("BatchSize", 10)),
        function_response_types=tuple(props.get("FunctionResponseTypes") or ()),
        maximum_batching_window=int(props.get("MaximumBatchingWindowInSeconds", 0)),
        enabled=_truthy(props.get("Enabled", True)),
    )


def event_source_mappings(template: Mapping[str, Any]) -> dict[str, list[SqsEvent]]:
    """The SQS triggers declared as AWS::Lambda::EventSourceMapping, by function logical id.

    (A SAM `Type: SQS` event makes SAM attach AWSLambdaSQSQueueExecutionRole, whose
    Resource is "*"; a mapping of its own lets the function's policy name its queue.)"""
    queues = {logical_id for logical_id, _ in _resources_of(template, "AWS::SQS::Queue")}
    found: dict[str, list[SqsEvent]] = {}
    for logical_id, resource in _resources_of(template, "AWS::Lambda::EventSourceMapping"):
        props = resource.get("Properties") or {}
        source = props.get("EventSourceArn")
        if _logical_id_of(source) not in queues:
            continue
        function = _logical_id_of(props.get("FunctionName"))
        found.setdefault(function, []).append(_sqs_event(logical_id, props, source))
    return found


def functions(
    template: Mapping[str, Any],
    context: Context | None = None,
    base_dir: Path | None = None,
) -> dict[str, Function]:
    """Each serverless function with the Globals merged in, keyed by logical id."""
    base = base_dir or REPO_ROOT
    globals_ = (template.get("Globals") or {}).get("Function") or {}
    mappings = event_source_mappings(template)
    result: dict[str, Function] = {}
    for logical_id, resource in _resources_of(template, "AWS::Serverless::Function"):
        props = {**globals_, **(resource.get("Properties") or {})}
        variables = {
            **((globals_.get("Environment") or {}).get("Variables") or {}),
            **(
                ((resource.get("Properties") or {}).get("Environment") or {}).get("Variables") or {}
            ),
        }
        if context is not None:
            variables = {key: str(value) for key, value in resolve(variables, context).items()}
        handler = str(props.get("Handler", "app.handler"))
        module, _, attribute = handler.rpartition(".")
        code_uri = base / str(props.get("CodeUri", "."))
        events = props.get("Events") or {}
        sqs_events = [
            _sqs_event(name, event["Properties"], event["Properties"]["Queue"])
            for name, event in events.items()
            if event.get("Type") == "SQS"
        ] + mappings.get(logical_id, [])
        result[logical_id] = Function(
            logical_id=logical_id,
            code_uri=code_uri,
            handler=handler,
            handler_file=code_uri / (module.replace(".", "/") + ".py"),
            handler_attr=attribute,
            timeout=int(props.get("Timeout", 3)),
            memory_size=int(props.get("MemorySize", 128)),
            environment=variables,
            events=events,
            sqs_events=sqs_events,
        )
    return result


def routes(template: Mapping[str, Any], base_dir: Path | None = None) -> list[Route]:
    """Every `Type: Api` event of every function, as (function, handler, path, method)."""
    found: list[Route] = []
    for function in functions(template, base_dir=base_dir).values():
        for name, event in function.events.items():
            if event.get("Type") != "Api":
                continue
            props = event.get("Properties") or {}
            method = str(props.get("Method", "ANY")).upper()
            found.append(
                Route(
                    function=function.logical_id,
                    handler_file=function.handler_file,
                    handler_attr=function.handler_attr,
                    path=str(props["Path"]),
                    method="ANY" if method in ("ANY", "X-AMAZON-APIGATEWAY-ANY-METHOD") else method,
                    event=name,
                )
            )
    return found


@dataclass(frozen=True)
class GatewayResponse:
    status_code: int | None
    headers: dict[str, str]  # literal values, quotes stripped
    templates: dict[str, str]  # content type -> body template
    # Headers copied from the request (`method.request.header.Origin`): name -> request header
    request_headers: dict[str, str] = field(default_factory=dict)


_REQUEST_HEADER = "method.request.header."


def _unquote(value: Any) -> str:
    text = str(value)
    if len(text) >= 2 and text[0] == text[-1] == "'":
        return text[1:-1]
    return text


def gateway_responses(
    template: Mapping[str, Any], context: Context | None = None
) -> dict[str, GatewayResponse]:
    """The GatewayResponses of the template's AWS::Serverless::Api, by response type
    (resolved against `context`, or the template's defaults, when they use conditions)."""
    result: dict[str, GatewayResponse] = {}
    for _, api in _resources_of(template, "AWS::Serverless::Api"):
        specs = (api.get("Properties") or {}).get("GatewayResponses") or {}
        specs = resolve(specs, context or make_context(dict(template)))
        for kind, spec in specs.items():
            headers = (spec.get("ResponseParameters") or {}).get("Headers") or {}
            status = spec.get("StatusCode")
            result[kind] = GatewayResponse(
                status_code=int(status) if status is not None else None,
                headers={
                    name: _unquote(value)
                    for name, value in headers.items()
                    if not str(value).startswith(_REQUEST_HEADER)
                },
                templates={
                    key: str(value) for key, value in (spec.get("ResponseTemplates") or {}).items()
                },
                request_headers={
                    name: str(value).removeprefix(_REQUEST_HEADER)
                    for name, value in headers.items()
                    if str(value).startswith(_REQUEST_HEADER)
                },
            )
    return result


def api_properties(template: Mapping[str, Any]) -> dict[str, Any]:
    """Properties of the (first) AWS::Serverless::Api, merged with Globals.Api."""
    globals_ = (template.get("Globals") or {}).get("Api") or {}
    for _, api in _resources_of(template, "AWS::Serverless::Api"):
        return {**globals_, **(api.get("Properties") or {})}
    return dict(globals_)


# --------------------------------------------------------------------------- resources

_QUEUE_ATTRIBUTES = (
    "DelaySeconds",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "ReceiveMessageWaitTimeSeconds",
    "VisibilityTimeout",
    "FifoQueue",
    "ContentBasedDeduplication",
    "DeduplicationScope",
    "FifoThroughputLimit",
    "KmsMasterKeyId",
    "KmsDataKeyReusePeriodSeconds",
    "SqsManagedSseEnabled",
)


def _references(value: Any) -> set[str]:
    """Logical ids a template value refers to (Ref, GetAtt, ${X} in Sub)."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "Ref" and isinstance(item, str):
                found.add(item)
            elif key == "Fn::GetAtt":
                found.add(_logical_id_of({key: item}))
            elif key == "Fn::Sub":
                text = item[0] if isinstance(item, list) else item
                found.update(m.split(".")[0] for m in _SUB_VARIABLE.findall(str(text)))
                found |= _references(item)
            else:
                found |= _references(item)
    elif isinstance(value, list):
        for item in value:
            found |= _references(item)
    return found


def _in_dependency_order(template: Mapping[str, Any], kinds: tuple[str, ...]) -> list[str]:
    chosen = dict(_resources_of(template, *kinds))
    ordered: list[str] = []
    visiting: set[str] = set()

    def visit(logical_id: str) -> None:
        if logical_id in ordered:
            return
        if logical_id in visiting:
            raise ValueError(f"circular dependency at {logical_id}")
        visiting.add(logical_id)
        resource = chosen[logical_id]
        depends_on = resource.get("DependsOn") or []
        depends = _references(resource.get("Properties") or {}) | set(
            [depends_on] if isinstance(depends_on, str) else depends_on
        )
        for dependency in sorted(depends & chosen.keys()):
            visit(dependency)
        visiting.discard(logical_id)
        ordered.append(logical_id)

    for logical_id in chosen:
        visit(logical_id)
    return ordered


def _create_table(logical_id: str, props: dict[str, Any], ctx: Context, dynamodb: Any) -> str:
    name = ctx.physical_name(logical_id)
    if name in dynamodb.list_tables().get("TableNames", []):
        return name
    billing = props.get("BillingMode", "PROVISIONED")
    request: dict[str, Any] = {
        "TableName": name,
        "AttributeDefinitions": props["AttributeDefinitions"],
        "KeySchema": props["KeySchema"],
        "BillingMode": billing,
    }
    throughput = props.get("ProvisionedThroughput") or {
        "ReadCapacityUnits": 5,
        "WriteCapacityUnits": 5,
    }
    if billing == "PROVISIONED":
        request["ProvisionedThroughput"] = throughput
    for key in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
        if props.get(key):
            indexes = [dict(index) for index in props[key]]
            if billing == "PROVISIONED" and key == "GlobalSecondaryIndexes":
                for index in indexes:
                    index.setdefault("ProvisionedThroughput", throughput)
            request[key] = indexes
    stream = props.get("StreamSpecification")
    if stream:
        request["StreamSpecification"] = {
            "StreamEnabled": True,
            "StreamViewType": stream["StreamViewType"],
        }
    dynamodb.create_table(**request)
    ttl = props.get("TimeToLiveSpecification")
    if ttl and _truthy(ttl.get("Enabled", False)):
        dynamodb.update_time_to_live(
            TableName=name,
            TimeToLiveSpecification={"AttributeName": ttl["AttributeName"], "Enabled": True},
        )
    return name


def _create_queue(logical_id: str, props: dict[str, Any], ctx: Context, sqs: Any) -> str:
    name = ctx.physical_name(logical_id)
    try:
        url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
    except sqs.exceptions.QueueDoesNotExist:
        attributes: dict[str, str] = {}
        for key in _QUEUE_ATTRIBUTES:
            if key in props:
                value = props[key]
                attributes[key] = str(value).lower() if isinstance(value, bool) else str(value)
        for key in ("RedrivePolicy", "RedriveAllowPolicy"):
            if key in props:
                value = props[key]
                attributes[key] = value if isinstance(value, str) else json.dumps(value)
        url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    ctx.queue_urls[logical_id] = url
    return name


def create_resources(
    template: Mapping[str, Any], context: Context, dynamodb_client: Any, sqs_client: Any
) -> dict[str, str]:
    """Create the template's tables and queues (skipping existing ones).

    Returns the physical name of each, by logical id. Queue URLs are recorded in the
    context so later Ref/GetAtt of a queue resolve to the real local URL.
    """
    created: dict[str, str] = {}
    kinds = ("AWS::DynamoDB::Table", "AWS::SQS::Queue")
    for logical_id in _in_dependency_order(template, kinds):
        resource = template["Resources"][logical_id]
        props = resolve(resource.get("Properties") or {}, context)
        if resource["Type"] == "AWS::DynamoDB::Table":
            created[logical_id] = _create_table(logical_id, props, context, dynamodb_client)
        else:
            created[logical_id] = _create_queue(logical_id, props, context, sqs_client)
    return created
