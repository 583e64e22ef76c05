//! The provider catalog (SPEC.md §3): every provider KeyHub knows, compiled into both the server and
//! the browser bundle. Facts come from `reference/providers.md`; nothing here is secret.

use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    Llm,
    Voice,
    Image,
}

impl Category {
    pub const ALL: [Category; 3] = [Category::Llm, Category::Voice, Category::Image];

    pub fn id(self) -> &'static str {
        match self {
            Category::Llm => "llm",
            Category::Voice => "voice",
            Category::Image => "image",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Category::Llm => "LLM",
            Category::Voice => "Voice",
            Category::Image => "Image",
        }
    }

    pub fn parse(value: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.id() == value)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Modality {
    Chat,
    Embeddings,
    Stt,
    Tts,
    Image,
}

impl Modality {
    /// What people also call it when they search: "speech" finds every voice provider.
    pub fn search_words(self) -> &'static str {
        match self {
            Modality::Chat => "chat llm language model text",
            Modality::Embeddings => "embeddings vectors search",
            Modality::Stt => "voice input speech to text transcription stt",
            Modality::Tts => "voice output text to speech tts",
            Modality::Image => "image generation pictures",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Modality::Chat => "Chat",
            Modality::Embeddings => "Embeddings",
            Modality::Stt => "Voice input",
            Modality::Tts => "Voice output",
            Modality::Image => "Image generation",
        }
    }
}

/// How a key travels to the provider.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum KeyAuth {
    /// `Authorization: Bearer <key>`.
    Bearer,
    /// The key in a named header, with fixed extra headers (e.g. `anthropic-version`).
    Header {
        name: &'static str,
        extra: &'static [(&'static str, &'static str)],
    },
    /// AWS Signature V4 with an access key id, a secret and a region (or a Bedrock API key as Bearer).
    AwsSigV4,
    /// A Google service-account JSON exchanged for an OAuth2 access token.
    GoogleServiceAccount,
    /// Nothing is sent (local Ollama).
    None,
}

/// How KeyHub checks a key with the provider (SPEC.md §5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Validation {
    /// An authenticated, side-effect-free request relative to the base URL.
    Probe {
        method: &'static str,
        path: &'static str,
    },
    /// No probe exists; the key is saved `unverified` (or `unsupported`) for this reason.
    Manual { reason: &'static str },
}

/// A structured option a provider needs besides (or instead of) the key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct OptionField {
    pub name: &'static str,
    pub label: &'static str,
    pub required: bool,
    /// Decides where the key is sent (a host, region or project): changing it needs the key again.
    pub destination: bool,
    pub placeholder: &'static str,
    pub help: &'static str,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct KeyFormat {
    /// Known prefixes, longest first, used for the hint and the "this looks like…" warning.
    pub prefixes: &'static [&'static str],
    /// The shape of a key in plain words.
    pub description: &'static str,
    /// What a stored key of this provider looks like in lists.
    pub example_hint: &'static str,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct GetKey {
    pub url: &'static str,
    pub steps: &'static [&'static str],
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Provider {
    pub id: &'static str,
    pub name: &'static str,
    pub category: Category,
    pub summary: &'static str,
    pub modalities: &'static [Modality],
    /// Entries with the same family share one stored key (an OpenAI key serves chat, TTS and DALL·E).
    pub key_family: &'static str,
    pub key_required: bool,
    pub key_format: KeyFormat,
    pub default_base_url: Option<&'static str>,
    pub auth: KeyAuth,
    pub validation: Validation,
    pub options: &'static [OptionField],
    /// The environment variable that holds the instance-wide platform key, if the provider has one.
    pub platform_env: Option<&'static str>,
    pub get_key: GetKey,
}

impl Provider {
    /// A model id of this provider, as the example in a model field.
    pub fn example_model(&self) -> &'static str {
        match self.id {
            "openai" => "gpt-4o-mini",
            "anthropic" => "claude-sonnet-4-5",
            "google" => "gemini-2.5-flash",
            "mistral" => "mistral-large-latest",
            "deepseek" => "deepseek-chat",
            "cohere" => "command-r-plus",
            "groq" => "llama-3.3-70b-versatile",
            "azure-openai" => "your deployment name",
            "ollama" => "llama3.2",
            "fireworks" => "accounts/fireworks/models/llama-v3p1-70b-instruct",
            "openrouter" => "openai/gpt-4o",
            "xai" => "grok-4",
            "together" => "meta-llama/Llama-3.3-70B-Instruct-Turbo",
            "perplexity" => "sonar",
            "aws-bedrock" => "anthropic.claude-3-5-sonnet-20241022-v2:0",
            "google-vertex" => "gemini-2.5-pro",
            "stability" => "stable-image-core",
            "openai-dalle" => "gpt-image-1",
            _ => "the model id your endpoint serves",
        }
    }

    /// Other names people look for this provider by: its models and products ("claude").
    pub fn aliases(&self) -> &'static [&'static str] {
        match self.id {
            "openai" => &["gpt", "chatgpt", "dall-e", "whisper", "o1", "o3", "o4"],
            "anthropic" => &["claude"],
            "google" => &["gemini", "ai studio"],
            "mistral" => &["mixtral", "codestral", "pixtral"],
            "deepseek" => &["deepseek-r1", "reasoner"],
            "cohere" => &["command", "rerank"],
            "groq" => &["llama", "groqcloud"],
            "azure-openai" => &["microsoft", "gpt"],
            "ollama" => &["llama", "local", "self-hosted"],
            "fireworks" => &["llama", "open models"],
            "openrouter" => &["router", "many models"],
            "xai" => &["grok"],
            "together" => &["llama", "open models"],
            "perplexity" => &["sonar", "search"],
            "aws-bedrock" => &["amazon", "aws", "claude", "titan", "nova"],
            "google-vertex" => &["gemini", "gcp", "google cloud"],
            "custom" => &["openai-compatible", "vllm", "litellm", "lm studio"],
            "elevenlabs" => &["eleven", "voices", "speech"],
            "google-tts" => &["speech", "wavenet"],
            "azure-speech" => &["microsoft", "speech"],
            "openai-tts" => &["speech", "voices", "tts"],
            "openai-dalle" => &["dall-e", "gpt-image", "images"],
            "stability" => &["stable diffusion", "sdxl"],
            "midjourney" => &["mj"],
            _ => &[],
        }
    }

    /// What decides where this provider's keys are sent, in words: "the base URL or Region".
    pub fn destination_words(&self) -> String {
        let mut what = vec!["the base URL"];
        what.extend(
            self.options
                .iter()
                .filter(|field| field.destination)
                .map(|field| field.label),
        );
        let last = what.pop().unwrap_or_default();
        match what.is_empty() {
            true => last.to_owned(),
            false => format!("{} or {last}", what.join(", ")),
        }
    }

    /// The known prefix a key starts with, if any (longest match first).
    pub fn matching_prefix(&self, key: &str) -> Option<&'static str> {
        self.key_format
            .prefixes
            .iter()
            .copied()
            .find(|prefix| key.starts_with(prefix))
    }
}

const BEARER: KeyAuth = KeyAuth::Bearer;

const fn get_models() -> Validation {
    Validation::Probe {
        method: "GET",
        path: "/models",
    }
}

const OPENAI_PREFIXES: &[&str] = &["sk-svcacct-", "sk-admin-", "sk-proj-", "sk-"];
const OPENAI_FORMAT: KeyFormat = KeyFormat {
    prefixes: OPENAI_PREFIXES,
    description: "Starts with sk-proj-, sk-svcacct- or sk- (legacy keys are 51 characters).",
    example_hint: "sk-proj...7xQ2",
};
const OPENAI_GET_KEY: GetKey = GetKey {
    url: "https://platform.openai.com/api-keys",
    steps: &[
        "Sign in to the OpenAI platform and open API keys.",
        "Create a new secret key for the project that should pay for usage.",
        "Copy it once and paste it here; OpenAI will not show it again.",
    ],
};
const GOOGLE_API_KEY_FORMAT: KeyFormat = KeyFormat {
    prefixes: &["AIza"],
    description: "Starts with AIza and is 39 characters long.",
    example_hint: "AIza...Q2aA",
};
const AZURE_ENDPOINT: OptionField = OptionField {
    name: "endpoint",
    label: "Resource endpoint",
    required: true,
    destination: true,
    placeholder: "https://my-resource.openai.azure.com",
    help: "The endpoint of your Azure OpenAI resource, shown under Keys and Endpoint in the Azure portal.",
};
const AZURE_API_VERSION: OptionField = OptionField {
    name: "api_version",
    label: "API version",
    required: false,
    destination: false,
    placeholder: "2024-10-21",
    help: "The api-version query parameter; leave empty for 2024-10-21.",
};
const AZURE_DEPLOYMENT: OptionField = OptionField {
    name: "deployment",
    label: "Deployment",
    required: false,
    destination: false,
    placeholder: "gpt-4o",
    help: "The deployment name experts call by default.",
};
const REGION_PLACEHOLDER_HELP: &str =
    "The Azure region of your Speech resource, e.g. westeurope. A wrong region looks like a wrong key.";

/// OpenAI chat, TTS and images: one key family, one base URL, one way to check the key.
const fn openai_entry(
    id: &'static str,
    name: &'static str,
    category: Category,
    summary: &'static str,
    modalities: &'static [Modality],
) -> Provider {
    Provider {
        id,
        name,
        category,
        summary,
        modalities,
        key_family: "openai",
        key_required: true,
        key_format: OPENAI_FORMAT,
        default_base_url: Some("https://api.openai.com/v1"),
        auth: BEARER,
        validation: get_models(),
        options: &[],
        platform_env: Some("OPENAI_API_KEY"),
        get_key: OPENAI_GET_KEY,
    }
}

/// Every provider KeyHub knows, in display order.
pub const PROVIDERS: &[Provider] = &[
    openai_entry(
        "openai",
        "OpenAI",
        Category::Llm,
        "GPT models for chat and embeddings.",
        &[Modality::Chat, Modality::Embeddings],
    ),
    Provider {
        id: "anthropic",
        name: "Anthropic",
        category: Category::Llm,
        summary: "Claude models for chat.",
        modalities: &[Modality::Chat],
        key_family: "anthropic",
        key_required: true,
        key_format: KeyFormat {
            prefixes: &["sk-ant-api03-", "sk-ant-admin01-", "sk-ant-"],
            description: "Starts with sk-ant-api03- and is 108 characters long.",
            example_hint: "sk-ant-...Q2aA",
        },
        default_base_url: Some("https://api.anthropic.com"),
        auth: KeyAuth::Header {
            name: "x-api-key",
            extra: &[("anthropic-version", "2023-06-01")],
        },
        validation: Validation::Probe {
            method: "GET",
            path: "/v1/models",
        },
        options: &[],
        platform_env: Some("ANTHROPIC_API_KEY"),
        get_key: GetKey {
            url: "https://console.anthropic.com/settings/keys",
            steps: &[
                "Sign in to the Anthropic Console and open Settings → API keys.",
                "Create a key in the workspace that should pay for usage.",
                "Copy it and paste it here.",
            ],
        },
    },
    Provider {
        id: "google",
        name: "Google Gemini",
        category: Category::Llm,
        summary: "Gemini models through the Generative Language API.",
        modalities: &[Modality::Chat, Modality::Embeddings],
        key_family: "google",
        key_required: true,
        key_format: GOOGLE_API_KEY_FORMAT,
        default_base_url: Some("https://generativelanguage.googleapis.com"),
        auth: KeyAuth::Header {
            name: "x-goog-api-key",
            extra: &[],
        },
        validation: Validation::Probe {
            method: "GET",
            path: "/v1beta/models",
        },
        options: &[],
        platform_env: Some("GEMINI_API_KEY"),
        get_key: GetKey {
            url: "https://aistudio.google.com/app/apikey",
            steps: &[
                "Open Google AI Studio and choose Get API key.",
                "Create a key in the Google Cloud project that should pay for usage.",
                "Copy it and paste it here.",
            ],
        },
    },
    Provider {
        id: "mistral",
        name: "Mistral",
        category: Category::Llm,
        summary: "Mistral and Codestral models.",
        modalities: &[Modality::Chat, Modality::Embeddings],
        key_family: "mistral",
        key_required: true,
        key_format: KeyFormat {
            prefixes: &[],
            description: "32 letters and digits, no prefix.",
            example_hint: "...x9Kq",
        },
        default_base_url: Some("https://api.mistral.ai/v1"),
        auth: BEARER,
        validation: get_models(),
        options: &[],
        platform_env: Some("MISTRAL_API_KEY"),
        get_key: GetKey {
            url: "https://console.mistral.ai/api-keys",
            steps: &[
                "Sign in to La Plateforme and open API Keys.",
                "Create a new key; make sure the workspace has a plan or credits.",
                "Copy it and paste it here.",
            ],
        },
    },
    Provider {
        id: "deepseek",
        name: "DeepSeek",
        category: Category::Llm,
        summary: "DeepSeek chat and reasoning models.",
        modalities: &[Modality::Chat],
        key_family: "deepseek",
        key_required: true,
        key_format: KeyFormat {
            prefixes: &["sk-"],
            description: "sk- followed by 32 lowercase hex characters.",
            example_hint: "sk-...3f9a",
        },
        default_base_url: Some("https://api.deepseek.com"),
        auth: BEARER,
        validation: Validation::Probe {
            method: "GET",
            path: "/user/balance",
        },
        options: &[],
        platform_env: Some("DEEPSEEK_API_KEY"),
        get_key: GetKey {
            url: "https://platform.deepseek.com/api_keys",
            steps: &[
                "Sign in to the DeepSeek platform and open API keys.",
                "Create a key and top up the balance if it is empty.",
                "Copy it and paste it here.",
            ],
        },
    },
    Provider {
        id: "cohere",
        name: "Cohere",
        category: Category::Llm,
        summary: "Command models, embeddings and rerank.",
        modalities: &[Modality::Chat, Modality::Embeddings],
        key_family: "cohere",
        key_required: true,
        key_format: KeyFormat {
            prefixes: &[],
            description: "40 letters and digits, no prefix. Trial keys are heavily rate-limited.",
            example_hint: "...aB12",
        },
        default_base_url: Some("https://api.cohere.com"),
        auth: BEARER,
        validation: Validation::Probe {
            method: "POST",
            path: "/v1/check-api-key",
        },
        options: &[],
        platform_env: Some("COHERE_API_KEY"),
        get_key: GetKey {
            url: "https://dashboard.cohere.com/api-keys",
            steps: &[
                "Sign in to the Cohere dashboard and open API keys.",
                "Create a production key (trial keys expire and are limited).",
                "Copy it and paste it here.",
            ],
        },
    },
    Provider {
        id: "groq",
        name: "Groq",
        category: Category::Llm,
        summary: "Fast inference of open models.",
        modalities: &[Modality::Chat],
        key_family: "groq",
        key_required: true,
        key_format: KeyFormat {
            prefixes: &["gsk_"],
            description: "gsk_ followed by 52 letters and digits.",
            example_hint: "gsk_...Wd3x",
        },
        default_base_url: Some("https://api.groq.com/openai/v1"),
        auth: BEARER,
        validation: get_models(),
        options: &[],
        platform_env: Some("GROQ_API_KEY"),
        get_key: GetKey {
            url: "https://console.groq.com/keys",
            steps: &[
                "Sign in to the GroqCloud console and open API Keys.",
                "Create an API key.",
                "Copy it and paste it here.",
            ],
        },
    },
    Provider {
        id: "azure-openai",
        name: "Azure OpenAI",
        category: Category::Llm,
        summary: "OpenAI models deployed in your Azure subscription.",
        modalities: &[Modality::Chat, Modality::Embeddings],
        key_family: "azure-openai",
        key_required: true,
        key_format: KeyFormat {
            prefixes: &[],
            description: "32 hexadecimal characters, used together with the resource endpoint.",
            example_hint: "...c0de",
        },
        default_base_url: None,
        auth: KeyAuth::Header {
            name: "api-key",
            extra: &[],
        },
        validation: Validation::Probe {
            method: "GET",
            path: "/openai/models?api-version={api_version}",
        },
        options: &[AZURE_ENDPOINT, AZURE_API_VERSION, AZURE_DEPLOYMENT],
        platform_env: Some("AZURE_OPENAI_API_KEY"),
        get_key: GetKey {
            url: "https://portal.azure.com/#view/Microsoft_Azure_ProjectOxford/CognitiveServicesHub/~/OpenAI",
            steps: &[
                "Open your Azure OpenAI resource in the Azure portal.",
                "Under Resource Management → Keys and Endpoint, copy KEY 1 and the endpoint.",
                "Paste both here; the key alone cannot be checked.",
            ],
        },
    },
    Provider {
        id: "ollama",
        name: "Ollama",
        category: Category::Llm,
        summary: "Open models on your own Ollama server, or Ollama Cloud with a key.",
        modalities: &[Modality::Chat, Modality::Embeddings],
        key_family: "ollama",
        key_required: false,
        key_format: KeyFormat {
            prefixes: &[],
            description: "No key for a local server; Ollama Cloud keys are 32 hex characters, a dot and 24 more.",
            example_hint: "...9fQ1",
        },
        default_base_url: Some("http://localhost:11434"),
        auth: BEARER,
        validation: Validation::Probe {
            method: "GET",
            path: "/api/version",
        },
        options: &[OptionField {
            name: "base_url",
            label: "Ollama base URL",
            required: false,
            destination: true,
            placeholder: "http://localhost:11434",
            help: "Where your Ollama server listens. Private addresses need KEYHUB_ALLOW_PRIVATE_ENDPOINTS.",
        }],
        platform_env: Some("OLLAMA_API_KEY"),
        get_key: GetKey {
            url: "https://ollama.com/settings/keys",
            steps: &[
                "A local Ollama needs no key: give its base URL under Advanced.",
                "For Ollama Cloud, sign in at ollama.com and create a key under Settings → Keys.",
            ],
        },
    },
    Provider {
        id: "fireworks",
        name: "Fireworks AI",
        category: Category::Llm,
        summary: "Serverless inference of open models.",
        modalities: &[Modality::Chat, Modality::Embeddings],
        key_family: "fireworks",
        key_required: true,
        key_format: KeyFormat {
            prefixes: &["fw_"],
            description: "Current keys start with fw_; older keys have no prefix.",
            example_hint: "fw_...k2Lm",
        },
        default_base_url: Some("https://api.fireworks.ai/inference/v1"),
        auth: BEARER,
        validation: get_models(),
        options: &[],
        platform_env: Some("FIREWORKS_API_KEY"),
        get_key: GetKey {
            url: "https://fireworks.ai/account/api-keys",
            steps: &[
                "Sign in to Fireworks and open Account → API Keys.",
                "Create a key.",
                "Copy it and paste it here.",
            ],
        },
    },
    Provider {
        id: "openrouter",
        name: "OpenRouter",
        category: Category::Llm,
        summary: "One key for models from many providers.",
        modalities: &[Modality::Chat],
        key_family: "openrouter",
        key_required: true,
        key_format: KeyFormat {
            prefixes: &["sk-or-v1-", "sk-or-"],
            description: "sk-or-v1- followed by 64 hex characters.",
            example_hint: "sk-or-...8e1c",
        },
        default_base_url: Some("https://openrouter.ai/api/v1"),
        auth: BEARER,
        validation: Validation::Probe {
            method: "GET",
            path: "/key",
        },
        options: &[],
        platform_env: Some("OPENROUTER_API_KEY"),
        get_key: GetKey {
            url: "https://openrouter.ai/settings/keys",
            steps: &[
                "Sign in to OpenRouter and open Settings → Keys.",
                "Create a key, optionally with a credit limit.",
                "Copy it and paste it here.",
            ],
        },
    },
    Provider {
        id: "xai",
        name: "xAI",
        category: Category::Llm,
        summary: "Grok models.",
        modalities: &[Modality::Chat],
        key_family: "xai",
        key_required: true,
        key_format: KeyFormat {
            prefixes: &["xai-"],
            description: "xai- followed by about 80 letters, digits and underscores.",
            example_hint: "xai-...b14o",
        },
        default_base_url: Some("https://api.x.ai/v1"),
        auth: BEARER,
        validation: Validation::Probe {
            method: "GET",
            path: "/api-key",
        },
        options: &[],
        platform_env: Some("XAI_API_KEY"),
        get_key: GetKey {
            url: "https://console.x.ai",
            steps: &[
                "Sign in to the xAI console and open API Keys.",
                "Create a key with the endpoints and models your experts need.",
                "Copy it and paste it here.",
            ],
        },
    },
    Provider {
        id: "together",
        name: "Together AI",
        category: Category::Llm,
        summary: "Inference of open models.",
        modalities: &[Modality::Chat, Modality::Embeddings],
        key_family: "together",
        key_required: true,
        key_format: KeyFormat {
            prefixes: &["tgp_v1_"],
            description: "tgp_v1_ followed by 43 characters; legacy keys are 64 hex characters.",
            example_hint: "tgp_v1_...Zx0A",
        },
        default_base_url: Some("https://api.together.xyz/v1"),
        auth: BEARER,
        validation: get_models(),
        options: &[],
        platform_env: Some("TOGETHER_API_KEY"),
        get_key: GetKey {
            url: "https://api.together.ai/settings/api-keys",
            steps: &[
                "Sign in to Together AI and open Settings → API Keys.",
                "Copy the key (or create one) and paste it here.",
            ],
        },
    },
    Provider {
        id: "perplexity",
        name: "Perplexity",
        category: Category::Llm,
        summary: "Sonar models with web search.",
        modalities: &[Modality::Chat],
        key_family: "perplexity",
        key_required: true,
        key_format: KeyFormat {
            prefixes: &["pplx-"],
            description: "pplx- followed by 48 letters and digits.",
            example_hint: "pplx-...H7d2",
        },
        default_base_url: Some("https://api.perplexity.ai"),
        auth: BEARER,
        validation: Validation::Probe {
            method: "GET",
            path: "/v1/models",
        },
        options: &[],
        platform_env: Some("PERPLEXITY_API_KEY"),
        get_key: GetKey {
            url: "https://www.perplexity.ai/account/api/keys",
            steps: &[
                "Sign in to Perplexity and open the API Keys settings.",
                "Add credits, then generate a key.",
                "Copy it and paste it here.",
            ],
        },
    },
    Provider {
        id: "aws-bedrock",
        name: "AWS Bedrock",
        category: Category::Llm,
        summary: "Foundation models in your AWS account. Needs an access key pair and a region, not just a key.",
        modalities: &[Modality::Chat, Modality::Embeddings],
        key_family: "aws-bedrock",
        key_required: true,
        key_format: KeyFormat {
            prefixes: &["bedrock-api-key-", "ABSK", "AKIA", "ASIA"],
            description: "An IAM secret access key (with its AKIA… key id) or a Bedrock API key (ABSK…).",
            example_hint: "ABSK...r2D2",
        },
        default_base_url: Some("https://bedrock.{region}.amazonaws.com"),
        auth: KeyAuth::AwsSigV4,
        validation: Validation::Probe {
            method: "GET",
            path: "/foundation-models",
        },
        options: &[
            OptionField {
                name: "access_key_id",
                label: "Access key ID",
                required: false,
                destination: false,
                placeholder: "AKIA…",
                help: "Needed with an IAM secret access key; leave empty for a Bedrock API key.",
            },
            OptionField {
                name: "region",
                label: "Region",
                required: true,
                destination: true,
                placeholder: "us-east-1",
                help: "The AWS region where Bedrock models are enabled for your account.",
            },
        ],
        platform_env: Some("AWS_BEARER_TOKEN_BEDROCK"),
        get_key: GetKey {
            url: "https://console.aws.amazon.com/bedrock/home#/api-keys",
            steps: &[
                "In the AWS console, open Amazon Bedrock → API keys, or IAM for an access key pair.",
                "Give the identity bedrock:ListFoundationModels and the invoke permissions it needs.",
                "Paste the secret here and the key ID and region under Advanced.",
            ],
        },
    },
    Provider {
        id: "google-vertex",
        name: "Google Vertex AI",
        category: Category::Llm,
        summary: "Gemini and partner models in your Google Cloud project. Needs a service-account JSON key.",
        modalities: &[Modality::Chat, Modality::Embeddings],
        key_family: "google-vertex",
        key_required: true,
        key_format: KeyFormat {
            prefixes: &[],
            description: "A service-account JSON key file (\"type\": \"service_account\").",
            example_hint: "...nt\"}",
        },
        default_base_url: Some("https://{location}-aiplatform.googleapis.com"),
        auth: KeyAuth::GoogleServiceAccount,
        validation: Validation::Probe {
            method: "POST",
            path: "https://oauth2.googleapis.com/token",
        },
        options: &[
            OptionField {
                name: "project",
                label: "Project ID",
                required: true,
                destination: true,
                placeholder: "my-project",
                help: "The Google Cloud project that has Vertex AI enabled.",
            },
            OptionField {
                name: "location",
                label: "Location",
                required: true,
                destination: true,
                placeholder: "us-central1",
                help: "The Vertex AI region to call.",
            },
        ],
        platform_env: Some("GOOGLE_APPLICATION_CREDENTIALS_JSON"),
        get_key: GetKey {
            url: "https://console.cloud.google.com/iam-admin/serviceaccounts",
            steps: &[
                "In Google Cloud, create a service account with the Vertex AI User role.",
                "Under Keys, add a JSON key and download it.",
                "Paste the whole JSON here and the project and location under Advanced.",
            ],
        },
    },
    Provider {
        id: "custom",
        name: "Custom endpoint",
        category: Category::Llm,
        summary: "Any OpenAI-compatible API: give it a name and its base URL.",
        modalities: &[Modality::Chat, Modality::Embeddings],
        key_family: "custom",
        key_required: false,
        key_format: KeyFormat {
            prefixes: &[],
            description: "Whatever your endpoint expects as a Bearer token.",
            example_hint: "...t0k3",
        },
        default_base_url: None,
        auth: BEARER,
        validation: get_models(),
        options: &[OptionField {
            name: "name",
            label: "Endpoint name",
            required: true,
            destination: false,
            placeholder: "vllm",
            help: "Lowercase letters a–z only; experts pick the endpoint by this name.",
        }],
        platform_env: None,
        get_key: GetKey {
            url: "https://platform.openai.com/docs/api-reference",
            steps: &[
                "Use the base URL your OpenAI-compatible server documents (it usually ends in /v1).",
                "KeyHub checks it with GET {base}/models; if that is not offered, the key is saved unverified.",
            ],
        },
    },
    Provider {
        id: "elevenlabs",
        name: "ElevenLabs",
        category: Category::Voice,
        summary: "Natural text to speech and speech to text.",
        modalities: &[Modality::Tts, Modality::Stt],
        key_family: "elevenlabs",
        key_required: true,
        key_format: KeyFormat {
            prefixes: &["sk_"],
            description: "sk_ followed by 48 hex characters; legacy keys are 32 hex characters.",
            example_hint: "sk_...a1b2",
        },
        default_base_url: Some("https://api.elevenlabs.io"),
        auth: KeyAuth::Header {
            name: "xi-api-key",
            extra: &[],
        },
        validation: Validation::Probe {
            method: "GET",
            path: "/v1/user",
        },
        options: &[],
        platform_env: Some("ELEVENLABS_API_KEY"),
        get_key: GetKey {
            url: "https://elevenlabs.io/app/settings/api-keys",
            steps: &[
                "Sign in to ElevenLabs and open Settings → API Keys.",
                "Create a key; grant User read so KeyHub can check it and see the remaining quota.",
                "Copy it and paste it here.",
            ],
        },
    },
    openai_entry(
        "openai-tts",
        "OpenAI TTS",
        Category::Voice,
        "OpenAI speech synthesis and transcription, with your OpenAI key.",
        &[Modality::Tts, Modality::Stt],
    ),
    Provider {
        id: "google-tts",
        name: "Google Cloud TTS",
        category: Category::Voice,
        summary: "Cloud Text-to-Speech voices, with an API key of a project that has the API enabled.",
        modalities: &[Modality::Tts],
        key_family: "google-tts",
        key_required: true,
        key_format: GOOGLE_API_KEY_FORMAT,
        default_base_url: Some("https://texttospeech.googleapis.com"),
        auth: KeyAuth::Header {
            name: "x-goog-api-key",
            extra: &[],
        },
        validation: Validation::Probe {
            method: "GET",
            path: "/v1/voices",
        },
        options: &[],
        platform_env: Some("GOOGLE_TTS_API_KEY"),
        get_key: GetKey {
            url: "https://console.cloud.google.com/apis/credentials",
            steps: &[
                "Enable the Cloud Text-to-Speech API and billing in your Google Cloud project.",
                "Under APIs & Services → Credentials, create an API key restricted to that API.",
                "Copy it and paste it here.",
            ],
        },
    },
    Provider {
        id: "azure-speech",
        name: "Azure Speech",
        category: Category::Voice,
        summary: "Azure AI Speech voices and transcription. Needs the key and its region.",
        modalities: &[Modality::Tts, Modality::Stt],
        key_family: "azure-speech",
        key_required: true,
        key_format: KeyFormat {
            prefixes: &[],
            description: "32 hexadecimal characters, used together with the resource's region.",
            example_hint: "...f00d",
        },
        default_base_url: Some("https://{region}.tts.speech.microsoft.com"),
        auth: KeyAuth::Header {
            name: "Ocp-Apim-Subscription-Key",
            extra: &[],
        },
        validation: Validation::Probe {
            method: "GET",
            path: "/cognitiveservices/voices/list",
        },
        options: &[OptionField {
            name: "region",
            label: "Region",
            required: true,
            destination: true,
            placeholder: "westeurope",
            help: REGION_PLACEHOLDER_HELP,
        }],
        platform_env: Some("AZURE_SPEECH_KEY"),
        get_key: GetKey {
            url: "https://portal.azure.com/#view/Microsoft_Azure_ProjectOxford/CognitiveServicesHub/~/SpeechServices",
            steps: &[
                "Open your Speech resource in the Azure portal.",
                "Under Keys and Endpoint, copy KEY 1 and the Location/Region.",
                "Paste the key here and the region under Advanced.",
            ],
        },
    },
    Provider {
        id: "stability",
        name: "Stability AI",
        category: Category::Image,
        summary: "Stable Diffusion image generation.",
        modalities: &[Modality::Image],
        key_family: "stability",
        key_required: true,
        key_format: KeyFormat {
            prefixes: &["sk-"],
            description: "sk- followed by 48 letters and digits.",
            example_hint: "sk-...Jq7e",
        },
        default_base_url: Some("https://api.stability.ai"),
        auth: BEARER,
        validation: Validation::Probe {
            method: "GET",
            path: "/v1/user/balance",
        },
        options: &[],
        platform_env: Some("STABILITY_API_KEY"),
        get_key: GetKey {
            url: "https://platform.stability.ai/account/keys",
            steps: &[
                "Sign in to the Stability AI platform and open Account → API Keys.",
                "Copy the key and make sure the account has credits.",
            ],
        },
    },
    openai_entry(
        "openai-dalle",
        "OpenAI Images",
        Category::Image,
        "DALL·E and gpt-image generation, with your OpenAI key.",
        &[Modality::Image],
    ),
    Provider {
        id: "midjourney",
        name: "Midjourney",
        category: Category::Image,
        summary: "Listed for completeness: Midjourney offers no official API, so keys cannot be validated or used.",
        modalities: &[Modality::Image],
        key_family: "midjourney",
        key_required: true,
        key_format: KeyFormat {
            prefixes: &[],
            description: "Midjourney issues no API keys; third-party proxies use Discord tokens.",
            example_hint: "...",
        },
        default_base_url: None,
        auth: BEARER,
        validation: Validation::Manual {
            reason: "Midjourney has no official public API and its terms forbid automation, so KeyHub cannot check or use such a key.",
        },
        options: &[],
        platform_env: None,
        get_key: GetKey {
            url: "https://docs.midjourney.com",
            steps: &["Midjourney is used through Discord and midjourney.com; there is no API key to create."],
        },
    },
];

/// The provider with this id, if KeyHub knows it.
/// "an OpenAI", "a Groq": the name with its article, for sentences.
pub fn with_article(name: &str) -> String {
    let vowel = name.starts_with(['A', 'E', 'I', 'O', 'U']);
    format!("{} {name}", if vowel { "an" } else { "a" })
}

pub fn provider(id: &str) -> Option<&'static Provider> {
    PROVIDERS.iter().find(|p| p.id == id)
}

/// Providers of one category, or all of them, in catalog order.
pub fn providers_in(category: Option<Category>) -> impl Iterator<Item = &'static Provider> {
    PROVIDERS
        .iter()
        .filter(move |p| category.is_none_or(|c| p.category == c))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn ids_are_unique_lowercase_and_stable() {
        let mut seen = HashSet::new();
        for p in PROVIDERS {
            assert!(seen.insert(p.id), "duplicate id {}", p.id);
            assert!(
                p.id.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
                "{} is not lowercase",
                p.id
            );
        }
    }

    #[test]
    fn the_catalog_lists_every_provider_of_the_spec() {
        let spec = [
            ("openai", Category::Llm),
            ("anthropic", Category::Llm),
            ("google", Category::Llm),
            ("mistral", Category::Llm),
            ("deepseek", Category::Llm),
            ("cohere", Category::Llm),
            ("groq", Category::Llm),
            ("azure-openai", Category::Llm),
            ("ollama", Category::Llm),
            ("fireworks", Category::Llm),
            ("openrouter", Category::Llm),
            ("xai", Category::Llm),
            ("together", Category::Llm),
            ("perplexity", Category::Llm),
            ("aws-bedrock", Category::Llm),
            ("google-vertex", Category::Llm),
            ("custom", Category::Llm),
            ("elevenlabs", Category::Voice),
            ("openai-tts", Category::Voice),
            ("google-tts", Category::Voice),
            ("azure-speech", Category::Voice),
            ("stability", Category::Image),
            ("openai-dalle", Category::Image),
            ("midjourney", Category::Image),
        ];
        assert_eq!(PROVIDERS.len(), spec.len());
        for (id, category) in spec {
            let p = provider(id).unwrap_or_else(|| panic!("{id} missing"));
            assert_eq!(p.category, category, "{id}");
        }
    }

    #[test]
    fn openai_entries_share_one_key_family() {
        for id in ["openai", "openai-tts", "openai-dalle"] {
            assert_eq!(provider(id).unwrap().key_family, "openai");
        }
        assert_ne!(
            provider("azure-openai").unwrap().key_family,
            provider("openai").unwrap().key_family
        );
    }

    #[test]
    fn prefixes_are_listed_longest_first_so_the_most_specific_wins() {
        for p in PROVIDERS {
            for pair in p.key_format.prefixes.windows(2) {
                assert!(
                    !pair[1].starts_with(pair[0]),
                    "{}: {} shadows {}",
                    p.id,
                    pair[0],
                    pair[1]
                );
            }
        }
        let anthropic = provider("anthropic").unwrap();
        assert_eq!(
            anthropic.matching_prefix("sk-ant-api03-abc"),
            Some("sk-ant-api03-")
        );
    }

    #[test]
    fn category_filter_keeps_only_that_category() {
        assert_eq!(providers_in(None).count(), PROVIDERS.len());
        assert!(providers_in(Some(Category::Voice)).all(|p| p.category == Category::Voice));
        assert_eq!(providers_in(Some(Category::Image)).count(), 3);
        assert_eq!(Category::parse("voice"), Some(Category::Voice));
        assert_eq!(Category::parse("bogus"), None);
    }
}
