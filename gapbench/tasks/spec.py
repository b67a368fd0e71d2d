"""A task is data: this pydantic model validates one declarative task file (YAML)."""

from __future__ import annotations

from typing import Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, field_validator, model_serializer, model_validator

Capability = Literal[
    "knowledge", "reasoning", "maths", "code", "chat", "long_input", "translation", "refusals", "truthfulness",
    "instruction_following", "tool_use",
]
Language = Literal["zh", "en"]
Method = Literal["generate", "loglikelihood", "tools", "prompt"]  # tools / prompt: function calling (`tools:`)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class HFSource(_Strict):
    """Where online users fetch the same data from the Hugging Face hub."""

    path: StrictStr
    name: StrictStr | None = None
    split: StrictStr = "test"


class JoinSpec(_Strict):
    """Records of another file matched on a key, e.g. HumanEval tests for translated prompts."""

    path: StrictStr
    key: StrictStr  # the field to match on, in both files
    format: Literal["auto", "csv", "tsv", "jsonl", "json", "lines", "pylines"] = "auto"  # BFCL: JSON lines in .json


class DatasetSpec(_Strict):
    """Where the records come from and how their fields map to a Sample."""

    path: StrictStr = ""  # relative to the data directory; may hold a glob, e.g. mmlu/test/*_test.csv
    format: Literal["auto", "csv", "tsv", "jsonl", "json", "lines", "pylines"] = "auto"  # pylines: a Python literal per line
    source: StrictStr | None = None  # a registered record source instead of a file, e.g. "needle"
    options: dict[StrictStr, Any] = {}  # arguments of that source
    join: JoinSpec | None = None  # add the fields of a matching record of another file, as {join.<field>}
    parallel: dict[StrictStr, StrictStr] = {}  # field -> line-aligned text file (e.g. a translation reference)
    include: dict[StrictStr, StrictStr] = {}  # keep records whose field matches this regex
    exclude: dict[StrictStr, StrictStr] = {}  # drop records whose field matches this regex
    header: bool = True  # csv/tsv: first row names the columns
    columns: list[StrictStr] | None = None  # names for header-less csv/tsv, or for split `lines`
    separator: StrictStr | None = None  # `lines`: split each line into columns on this string
    url: StrictStr | None = None  # online copy of the same file
    hf: HFSource | None = None
    subject_from_filename: StrictStr | None = None  # regex with one group, e.g. '(.+)_test\.csv'
    # Sample fields, as templates over the record's fields ({name}, {a.b} for nested values).
    id: StrictStr = "{_index}"
    question: StrictStr = "{question}"
    choices: list[StrictStr] | StrictStr | None = None  # templates; one field holding a list/dict; or "{ans*}"
    answer: StrictStr = "{answer}"
    answer_map: dict[StrictStr, StrictStr] | None = None  # e.g. {"true": "A", "false": "B"}
    answer_regex: StrictStr | None = None  # keep group 1 of the answer, e.g. '####\s*(.+)$'
    answer_index: bool = False  # the answer is a 0-based index into choices
    shuffle_choices: bool = False  # reorder choices per item (seeded by the id): for data whose answer is always first
    turns: StrictStr | None = None  # multi-turn chat: field holding the list of user turns
    explode: list[StrictStr] = []  # fields holding parallel lists: one item per element (L-Eval: questions of a document)

    @model_validator(mode="after")
    def _path_or_source(self) -> "DatasetSpec":
        if bool(self.path) == bool(self.source):
            raise ValueError("give either dataset.path (a data file) or dataset.source (a registered generator)")
        return self


class FewshotSpec(_Strict):
    """Worked examples shown before each question, drawn from another split of the same data."""

    path: StrictStr
    k: StrictInt = Field(5, ge=0, le=32)
    match: StrictStr | None = None  # take examples with the same metadata value, e.g. "subject"
    solution: StrictStr | None = None  # template for a worked solution (defaults to the answer)


class TemplateBy(_Strict):
    """A template per value of a record field (ACEBench's system prompt per category); others keep the default."""

    field: StrictStr
    values: dict[StrictStr, StrictStr]


class PromptSpec(_Strict):
    """How a Sample becomes text. Chinese tasks carry Chinese prompts."""

    system: StrictStr | None = None
    system_by: TemplateBy | None = None  # a system text per value of a record field (L-Eval's per subset)
    instruction: StrictStr | None = None  # shown once, before the first (few-shot) question
    template: StrictStr  # one question; may use {question}, {choices}, {A}..{J}, record fields
    fewshot_answer: StrictStr = "{answer}"  # the assistant turn of a worked example
    choice_format: StrictStr = "{letter}. {choice}"  # one line of {choices}
    ll_context: StrictStr = "{prompt}"  # loglikelihood: context per choice ({prompt}, {choice})
    ll_continuation: StrictStr = " {letter}"  # loglikelihood: scored text per choice


class TemperatureBy(_Strict):
    """A temperature per value of a record field, as MT-Bench and AlignBench set one per category."""

    field: StrictStr
    values: dict[StrictStr, float]


class GenerationSpec(_Strict):
    max_tokens: StrictInt = Field(256, ge=1, le=32768)
    temperature: float = Field(0.0, ge=0.0, le=2.0)  # 0: greedy; above 0 the run's --seed seeds the sampling
    temperature_by: TemperatureBy | None = None  # other values of the field keep `temperature`
    stop: list[StrictStr] = []


class CodeSpec(_Strict):
    """Scorer `code`: the program run in the sandbox is header + model code + test + check call."""

    language: Literal["python", "cpp", "js", "java", "go", "rust"] = "python"
    prompt_field: StrictStr = "prompt"  # the function stub the model completes (its header/imports are reused)
    test: StrictStr = "{test}"  # template for the test code appended to the model's code
    entry_point: StrictStr = "{entry_point}"
    check: StrictStr = "\n\ncheck({entry_point})\n"  # appended after the test (python)
    timeout_s: float = Field(10.0, gt=0, le=120)


class ToolsSpec(_Strict):
    """Function calling. Method `tools`: the functions go to the provider's native tool calling; method
    `prompt`: they are described in the system prompt and the calls are parsed from the text."""

    functions: StrictStr = "function"  # the record field holding the function docs (a list of JSON objects)
    messages: StrictStr | None = None  # a record field holding the chat ([{role, content}]); else prompt.template
    language: Literal["python", "java", "javascript"] = "python"  # BFCL: the functions' language (type hints)
    schema_types: Literal["json", "bfcl"] = "json"  # bfcl: BFCL's type names (dict, float, tuple, any …)
    doc_format: Literal["json", "python"] = "json"  # {functions} in the prompt: JSON (indent 4) or Python repr
    prompt_system: StrictStr  # method prompt: the system text; {functions} and record fields
    prompt_system_by: TemplateBy | None = None
    tools_system: StrictStr | None = None  # method tools: a system text without the docs (none by default)
    tools_system_by: TemplateBy | None = None


class TaskSpec(_Strict):
    name: StrictStr = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    version: Union[StrictInt, StrictStr]
    capability: Capability
    language: Language
    description: StrictStr = ""
    source: StrictStr = ""  # citation / licence note
    dataset: DatasetSpec
    fewshot: FewshotSpec | None = None
    prompt: PromptSpec
    scorer: StrictStr  # a registered scorer (gapbench.scoring.registry); checked when the file is read
    metric: StrictStr | None = None  # the headline among the scorer's declared metrics (default: its first)
    methods: list[Method] = ["generate"]  # the first is the default
    answer_pattern: StrictStr | None = None  # scorer `regex`: a match in the answer scores 1
    generation: GenerationSpec = GenerationSpec()
    code: CodeSpec | None = None
    tools: ToolsSpec | None = None  # function calling (methods tools / prompt)

    @field_validator("methods")
    @classmethod
    def _methods_not_empty(cls, v: list[str]) -> list[str]:
        if not v:
            raise ValueError("must list at least one method")
        return v

    @model_validator(mode="after")
    def _tools_for_tool_methods(self) -> "TaskSpec":
        if {"tools", "prompt"} & set(self.methods) and self.tools is None:
            raise ValueError("methods 'tools' and 'prompt' need a `tools:` section")
        return self

    @model_serializer(mode="wrap")
    def _without_later_defaults(self, handler):
        """Fields added later (tools, prompt.system_by, dataset.explode, dataset.join.format) are left out of the dump while
        they hold their default, so the task hash of every older task is unchanged."""
        data = handler(self)
        if not isinstance(data, dict):
            return data
        if self.tools is None:
            data.pop("tools", None)
        if self.prompt.system_by is None and isinstance(data.get("prompt"), dict):
            data["prompt"].pop("system_by", None)
        dataset = data.get("dataset")
        if isinstance(dataset, dict):
            if not self.dataset.explode:
                dataset.pop("explode", None)
            if isinstance(dataset.get("join"), dict) and self.dataset.join.format == "auto":
                dataset["join"].pop("format", None)
        return data
