// The Python that makes a Quarry checkpoint load in Hugging Face transformers with
// `trust_remote_code=True` (config.json's `auto_map` names these two files, written beside it):
// a Qwen2 body from transformers plus the MiMo MTP layers with Quarry's tensor names.
// `make parity` loads trained checkpoints through them and compares logits, MTP logits and
// greedy generation with Quarry's (transformers 4.46, 4.57 and 5.x).

enum HFRemoteCode {
  /// configuration_mimo.py
  static let configuration = #"""
# Configuration of a MiMo-style model written by Quarry: a Qwen2 decoder plus
# `num_nextn_predict_layers` multi-token-prediction (MTP) layers.
#
# Works with transformers 4.4x (classic PretrainedConfig) and 5.x (dataclass configs):
# every key that Qwen2Config does not know (num_nextn_predict_layers, head_dim, attention_bias,
# rope_theta next to rope_parameters, ...) is kept as an attribute by the base class.
from transformers.models.qwen2.configuration_qwen2 import Qwen2Config


class MiMoConfig(Qwen2Config):
    model_type = "mimo"

    # Number of MTP layers stored as model.mtp_layers.{i}.*; config.json overrides it.
    # In transformers 5 this annotation becomes a config field, in 4.x a class default.
    num_nextn_predict_layers: int = 0


__all__ = ["MiMoConfig"]
"""#

  /// modeling_mimo.py
  static let modeling = #"""
# MiMo-style causal LM for checkpoints written by Quarry.
#
# The main body is transformers' Qwen2 (Qwen2Model / Qwen2ForCausalLM), so `forward` and
# `generate` (with the KV cache) behave exactly like Qwen2 and return the main logits.
# On top of it, `model.mtp_layers` holds the multi-token-prediction (MTP) layers, with these
# tensor names under model.mtp_layers.{i}.:
#   token_layernorm, hidden_layernorm      RMSNorm of the token embedding / of the main state
#   input_proj           Linear(2H -> H, no bias); columns [:H] see the hidden state, [H:] the embedding
#   input_layernorm, self_attn.{q,k,v,o}_proj, post_attention_layernorm, mlp.{gate,up,down}_proj
#                        a Qwen2 decoder block (q/k/v bias, GQA, RoPE, SwiGLU)
#   final_layernorm      the MTP head's final norm; the output head is the shared lm_head
# `mtp_logits(input_ids)` returns [B, T-1, V]: position i combines the main hidden state h_i
# (after model.norm) with the embedding of token i+1 and predicts token i+2.
import math

import torch
import torch.nn.functional as F
from torch import nn

from transformers.models.qwen2.modeling_qwen2 import (
    Qwen2ForCausalLM,
    Qwen2MLP,
    Qwen2Model,
    Qwen2RMSNorm,
)

from .configuration_mimo import MiMoConfig


def _half_rotation(x):
    # NeoX / HF layout: the first half of the head dimension pairs with the second half.
    d = x.shape[-1] // 2
    return torch.cat((-x[..., d:], x[..., :d]), dim=-1)


def _rope_theta(config):
    params = getattr(config, "rope_parameters", None)
    if isinstance(params, dict) and "rope_theta" in params:
        return float(params["rope_theta"])
    return float(getattr(config, "rope_theta", 10000.0))


def _head_dim(config):
    return getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads


class MiMoMTPAttention(nn.Module):
    """Causal GQA self-attention of an MTP block (no KV cache)."""

    def __init__(self, config):
        super().__init__()
        self.num_heads = config.num_attention_heads
        self.num_kv_heads = getattr(config, "num_key_value_heads", None) or self.num_heads
        self.head_dim = _head_dim(config)
        bias = getattr(config, "attention_bias", True)
        hidden = config.hidden_size
        self.q_proj = nn.Linear(hidden, self.num_heads * self.head_dim, bias=bias)
        self.k_proj = nn.Linear(hidden, self.num_kv_heads * self.head_dim, bias=bias)
        self.v_proj = nn.Linear(hidden, self.num_kv_heads * self.head_dim, bias=bias)
        self.o_proj = nn.Linear(self.num_heads * self.head_dim, hidden, bias=False)

    def forward(self, x, cos, sin, mask):
        # x [B, T, H]; cos, sin [B or 1, T, d]; mask: additive [B or 1, 1, T, T]
        B, T, _ = x.shape
        q = self.q_proj(x).view(B, T, self.num_heads, self.head_dim).transpose(1, 2)
        k = self.k_proj(x).view(B, T, self.num_kv_heads, self.head_dim).transpose(1, 2)
        v = self.v_proj(x).view(B, T, self.num_kv_heads, self.head_dim).transpose(1, 2)
        cos = cos.unsqueeze(1).to(q.dtype)
        sin = sin.unsqueeze(1).to(q.dtype)
        q = q * cos + _half_rotation(q) * sin
        k = k * cos + _half_rotation(k) * sin
        groups = self.num_heads // self.num_kv_heads
        if groups > 1:
            k = k.repeat_interleave(groups, dim=1)
            v = v.repeat_interleave(groups, dim=1)
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.head_dim)
        scores = scores + mask.to(scores.dtype)
        probs = F.softmax(scores.float(), dim=-1).to(q.dtype)
        out = torch.matmul(probs, v).transpose(1, 2).reshape(B, T, self.num_heads * self.head_dim)
        return self.o_proj(out)


class MiMoMTPLayer(nn.Module):
    """One MTP layer: norms + input projection, a Qwen2 decoder block, a final norm."""

    def __init__(self, config):
        super().__init__()
        hidden, eps = config.hidden_size, config.rms_norm_eps
        self.token_layernorm = Qwen2RMSNorm(hidden, eps=eps)
        self.hidden_layernorm = Qwen2RMSNorm(hidden, eps=eps)
        self.input_proj = nn.Linear(2 * hidden, hidden, bias=False)
        self.input_layernorm = Qwen2RMSNorm(hidden, eps=eps)
        self.self_attn = MiMoMTPAttention(config)
        self.post_attention_layernorm = Qwen2RMSNorm(hidden, eps=eps)
        self.mlp = Qwen2MLP(config)
        self.final_layernorm = Qwen2RMSNorm(hidden, eps=eps)

    def forward(self, token_embeds, hidden_states, cos, sin, mask):
        # Concatenation order: [normed main hidden state ; normed token embedding].
        x = torch.cat([self.hidden_layernorm(hidden_states), self.token_layernorm(token_embeds)], dim=-1)
        x = self.input_proj(x)
        x = x + self.self_attn(self.input_layernorm(x), cos, sin, mask)
        x = x + self.mlp(self.post_attention_layernorm(x))
        return self.final_layernorm(x)


class MiMoModel(Qwen2Model):
    config_class = MiMoConfig

    def __init__(self, config):
        super().__init__(config)
        n = getattr(config, "num_nextn_predict_layers", 0) or 0
        self.mtp_layers = nn.ModuleList([MiMoMTPLayer(config) for _ in range(n)])
        self.post_init()


class MiMoForCausalLM(Qwen2ForCausalLM):
    config_class = MiMoConfig

    def __init__(self, config):
        super().__init__(config)
        self.model = MiMoModel(config)
        self.post_init()

    def _rope(self, x, position_ids):
        rotary = getattr(self.model, "rotary_emb", None)
        if rotary is not None:
            cos, sin = rotary(x, position_ids)
            return cos.float(), sin.float()
        d = _head_dim(self.config)
        inv = 1.0 / (_rope_theta(self.config) ** (torch.arange(0, d, 2, device=x.device).float() / d))
        freqs = position_ids[..., None].float() * inv
        emb = torch.cat([freqs, freqs], dim=-1)
        return emb.cos(), emb.sin()

    def mtp_logits(self, input_ids, attention_mask=None, layer=0):
        """MTP logits [B, T-1, V] of MTP layer `layer` (no KV cache).

        Position i uses the main hidden state h_i (after model.norm) and the embedding of
        token i+1, and predicts token i+2. `attention_mask` [B, T] (1 = keep) is optional.
        """
        if len(self.model.mtp_layers) <= layer:
            raise ValueError("this checkpoint has no MTP layer %d" % layer)
        out = self.model(input_ids=input_ids, attention_mask=attention_mask, use_cache=False)
        h = out.last_hidden_state[:, :-1]
        emb = self.model.embed_tokens(input_ids[:, 1:])
        B, T = emb.shape[:2]
        pos = torch.arange(T, device=emb.device).unsqueeze(0)
        cos, sin = self._rope(emb, pos)
        keep = torch.ones(T, T, dtype=torch.bool, device=emb.device).tril()[None, None]
        if attention_mask is not None:
            keep = keep & attention_mask[:, None, None, 1:].bool()
        mask = torch.zeros(keep.shape, dtype=torch.float32, device=emb.device)
        mask = mask.masked_fill(~keep, torch.finfo(torch.float32).min)
        z = self.model.mtp_layers[layer](emb, h, cos, sin, mask)
        return self.lm_head(z)


__all__ = ["MiMoModel", "MiMoForCausalLM", "MiMoMTPLayer"]
"""#
}
