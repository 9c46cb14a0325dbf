"""Training: instruction data (training.data), SFT, DPO and export of LoRA adapters for llama.cpp."""
