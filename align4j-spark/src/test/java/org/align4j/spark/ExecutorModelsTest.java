package org.align4j.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class ExecutorModelsTest {
    @Test
    void aModelIsLoadedOnceLentToOneTaskAtATimeAndDroppedWhenNewerKeysCrowdItOut() {
        String key = "test:" + System.nanoTime();
        AtomicReference<Object> first = new AtomicReference<>();
        ExecutorModels.with(key, Object.class, Object::new, m -> {
            first.set(m);
            Object second = ExecutorModels.with(key, Object.class, Object::new, n -> n);
            assertNotSame(m, second, "a model in use is not lent again");
            return null;
        });
        assertEquals(2, ExecutorModels.loads(key));
        assertSame(first.get(), ExecutorModels.with(key, Object.class, Object::new, m -> m), "reused");
        assertEquals(2, ExecutorModels.loads(key));
        for (int i = 0; i < ExecutorModels.KEPT; i++) {
            ExecutorModels.with(key + "/" + i, Object.class, Object::new, m -> m);
        }
        ExecutorModels.with(key, Object.class, Object::new, m -> m);
        assertEquals(3, ExecutorModels.loads(key), "loaded again once crowded out");
    }
}
