package org.align4j.data;

/**
 * An example with the data source it came from (C-RLFT's condition, e.g. "GPT4" or "GPT3").
 *
 * @param condition the data source / condition label
 * @param example   the example
 */
public record ConditionedExample(String condition, Example example) {
}
