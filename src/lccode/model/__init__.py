"""The model, in the order the data meets it: provisioning the offline base (provision), the classifier and its
storage (modeling, storage, fastload, context), training (training_args, trainer, training_run, quick), coding
(device, predict, pooled), and measuring (metrics, evaluate, uncertainty, model_card)."""
