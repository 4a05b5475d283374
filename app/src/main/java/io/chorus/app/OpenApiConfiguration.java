package io.chorus.app;

import io.swagger.v3.oas.models.Components;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.info.Info;
import io.swagger.v3.oas.models.security.SecurityRequirement;
import io.swagger.v3.oas.models.security.SecurityScheme;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The OpenAPI description of the REST API (springdoc: {@code /v3/api-docs}, UI at {@code /swagger-ui.html}). Every
 * call takes a bearer JWT; API.md stays the contract, this is its machine-readable form.
 */
@Configuration
class OpenApiConfiguration {

    @Bean
    OpenAPI chorusOpenApi() {
        return new OpenAPI()
                .info(new Info()
                        .title("Chorus REST API")
                        .version("v1")
                        .description("Groups, members, messages, history, the integrator event stream and admin."
                                + " Realtime delivery is STOMP at /ws (see README)."))
                .components(new Components()
                        .addSecuritySchemes(
                                "bearer",
                                new SecurityScheme()
                                        .type(SecurityScheme.Type.HTTP)
                                        .scheme("bearer")
                                        .bearerFormat("JWT")))
                .addSecurityItem(new SecurityRequirement().addList("bearer"));
    }
}
