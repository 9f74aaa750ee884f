/**
 * Layers that wrap a model's modules without changing the architecture code, joining the forward pass through
 * {@link org.align4j.model.LinearAdapter}: LoRA ({@link org.align4j.nn.LoraModel}), saved and loaded in PEFT's
 * adapter layout.
 */
package org.align4j.nn;
