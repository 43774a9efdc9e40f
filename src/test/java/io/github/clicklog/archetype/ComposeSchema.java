package io.github.clicklog.archetype;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonMetaSchema;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.NonValidationKeyword;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import java.util.List;
import java.util.Map;

/**
 * The Compose Specification's JSON Schema (src/test/resources/compose-spec, copied unchanged, Apache-2.0),
 * which Docker Compose v2 validates every file against. No Docker runs here, so this is how the tests know
 * compose would accept a generated file.
 */
public final class ComposeSchema {
    private static final String RESOURCE = "compose-spec/compose-spec.json";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonSchema SCHEMA = load();

    private ComposeSchema() {
    }

    private static JsonSchema load() {
        if (ComposeSchema.class.getClassLoader().getResource(RESOURCE) == null) {
            throw new IllegalStateException(RESOURCE + " is not on the test class path");
        }
        // The schema names its meta-schema as https://json-schema.org/draft-07/schema: draft 7, plus the
        // annotation 'deprecated', which validates nothing and would otherwise be logged as unknown.
        JsonMetaSchema draft7 = JsonMetaSchema.builder("https://json-schema.org/draft-07/schema", JsonMetaSchema.getV7())
                .keyword(new NonValidationKeyword("deprecated"))
                .build();
        // loaded by location: the schema's relative $id (compose_spec.json) needs a base URI to resolve against
        return JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V7, factory -> factory.metaSchema(draft7))
                .getSchema(SchemaLocation.of("classpath:" + RESOURCE));
    }

    /** The schema's complaints about one interpolated compose file; empty when compose would accept it. */
    public static List<String> violations(Map<String, Object> interpolatedCompose) {
        JsonNode document = JSON.valueToTree(interpolatedCompose);
        return SCHEMA.validate(document).stream().map(ValidationMessage::getMessage).sorted().toList();
    }
}
