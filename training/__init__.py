"""Training: instruction data (training.data.build), SFT, DPO and export of LoRA adapters for llama.cpp."""
